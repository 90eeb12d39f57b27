/// A node of an unpickled object tree. Nothing in it was ever called or imported:
/// `GLOBAL os.system` is just `.global("os", "system")`, and `REDUCE` just records the call.
///
/// Reference type because pickles share and then mutate objects through the memo (an empty
/// dict is memoized, then filled by `SETITEMS`). `items`, `pairs` and `state` collect what
/// `APPENDS`, `SETITEMS` and `BUILD` add to any object, so that a dict subclass built by a
/// call (an `OrderedDict`) or an object whose `__setstate__` we never run still exposes what
/// it would hold.
public final class PickleObject {
    public enum Kind {
        case none
        case bool(Bool)
        case int(Int64)
        /// Two's-complement little-endian bytes of an integer beyond Int64.
        case bigInt([UInt8])
        /// An integer beyond Int64 written in decimal (protocol 0 `INT`/`LONG`).
        case bigDecimal(String)
        case float(Double)
        case string(String)
        case bytes([UInt8])
        case list
        case tuple
        case dict
        case set
        case global(module: String, name: String)
        /// `callee(*args)` recorded by REDUCE, NEWOBJ, NEWOBJ_EX, INST or OBJ.
        case call(callee: PickleObject, args: PickleObject)
        case persistentID(PickleObject)
    }

    public var kind: Kind
    /// Elements of lists, tuples and sets, or what `APPENDS` added to an object.
    public var items: [PickleObject] = []
    /// Entries of dicts, or what `SETITEMS` added to an object.
    public var pairs: [(key: PickleObject, value: PickleObject)] = []
    /// What `BUILD` set (the argument `__setstate__` would have received).
    public var state: PickleObject?

    init(_ kind: Kind, items: [PickleObject] = []) { self.kind = kind; self.items = items }

    /// Releases deep trees without recursion: a pickle of 100 000 nested lists would
    /// otherwise overflow the stack in the chain of `deinit`s.
    deinit {
        var work: [PickleObject] = []
        moveChildren(into: &work)
        while var o = work.popLast() {
            if isKnownUniquelyReferenced(&o) { o.moveChildren(into: &work) }
        }
    }

    private func moveChildren(into work: inout [PickleObject]) {
        if !items.isEmpty { work.append(contentsOf: items); items = [] }
        if !pairs.isEmpty {
            for (k, v) in pairs { work.append(k); work.append(v) }
            pairs = []
        }
        if let s = state { work.append(s); state = nil }
        switch kind {
        case .call(let c, let a): work.append(c); work.append(a); kind = .none
        case .persistentID(let p): work.append(p); kind = .none
        default: break
        }
    }

    /// `module.name` of a global, or of the callee of a call on a global.
    public var globalName: String? {
        // Iterative: a hostile pickle can chain thousands of calls of calls.
        var o = self
        for _ in 0..<64 {
            switch o.kind {
            case .global(let m, let n): return m.isEmpty ? n : "\(m).\(n)"
            case .call(let callee, _): o = callee
            default: return nil
            }
        }
        return nil
    }
}

/// Bounds on what one pickle may make us allocate or do, so hostile input fails fast.
public struct PickleLimits: Sendable {
    /// Objects created (each opcode creates at most one).
    public var maxObjects = 50_000_000
    /// Entries in the memo.
    public var maxMemo = 10_000_000
    /// Bytes of one string or bytes object.
    public var maxStringBytes = 256 << 20
    /// Pending MARKs.
    public var maxMarks = 100_000
    /// Digits of one integer (LONG, LONG1, LONG4).
    public var maxIntegerBytes = 1024
    /// Nesting depth when walking the tree afterwards.
    public var maxDepth = 500
    public init() {}
}

/// The pickle virtual machine, inert: it implements every opcode of protocols 0–5 by
/// building `PickleObject`s and never imports, calls or looks anything up.
public struct PickleMachine {
    public struct Failure: Error { public let message: String; init(_ m: String) { message = m } }

    private let bytes: UnsafeRawBufferPointer
    private var pos: Int
    private let limits: PickleLimits
    private var stack: [PickleObject] = []
    private var marks: [Int] = []
    private var memo: [Int: PickleObject] = [:]
    private var created = 0
    /// Objects created (and memo gets) so far.
    public var objectCount: Int { created }
    /// Bytes consumed so far (end of the pickle after `run`).
    public var position: Int { pos }

    public init(_ bytes: UnsafeRawBufferPointer, at start: Int = 0, limits: PickleLimits = PickleLimits()) {
        self.bytes = bytes; self.pos = start; self.limits = limits
    }

    // MARK: reading

    private mutating func need(_ n: Int) throws {
        guard n >= 0, n <= bytes.count - pos else {
            throw Failure("truncated pickle: needs \(n) more bytes at offset \(pos), \(bytes.count - pos) left")
        }
    }
    private mutating func u8() throws -> UInt8 { try need(1); defer { pos += 1 }; return bytes[pos] }
    private mutating func le<T: FixedWidthInteger>(_: T.Type) throws -> T {
        try need(MemoryLayout<T>.size)
        defer { pos += MemoryLayout<T>.size }
        return T(littleEndian: bytes.baseAddress!.loadUnaligned(fromByteOffset: pos, as: T.self))
    }
    private mutating func raw(_ n: Int) throws -> UnsafeRawBufferPointer {
        guard n <= limits.maxStringBytes else { throw Failure("string of \(n) bytes exceeds the limit of \(limits.maxStringBytes)") }
        try need(n)
        defer { pos += n }
        return UnsafeRawBufferPointer(rebasing: bytes[pos..<(pos + n)])
    }
    private mutating func length<T: FixedWidthInteger>(_ t: T.Type) throws -> Int {
        let v = try le(t)
        guard v >= 0, UInt64(v) <= UInt64(Int.max) else { throw Failure("negative or absurd length \(v)") }
        return Int(v)
    }
    /// A text line ending in `\n` (protocol 0 arguments).
    private mutating func line() throws -> String {
        var e = pos
        while e < bytes.count, bytes[e] != 0x0A {
            e += 1
            if e - pos > limits.maxStringBytes { throw Failure("text line longer than \(limits.maxStringBytes) bytes") }
        }
        guard e < bytes.count else { throw Failure("truncated pickle: unterminated text line at offset \(pos)") }
        let s = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[pos..<e]), as: UTF8.self)
        pos = e + 1
        return s
    }

    /// A protocol-0 `UNICODE` argument: latin-1 bytes with `\\uXXXX` / `\\UXXXXXXXX` escapes.
    private mutating func rawUnicodeEscapeLine() throws -> String {
        var e = pos
        while e < bytes.count, bytes[e] != 0x0A {
            e += 1
            if e - pos > limits.maxStringBytes { throw Failure("text line longer than \(limits.maxStringBytes) bytes") }
        }
        guard e < bytes.count else { throw Failure("truncated pickle: unterminated text line at offset \(pos)") }
        var out = String.UnicodeScalarView()
        var i = pos
        while i < e {
            let c = bytes[i]
            if c == UInt8(ascii: "\\"), i + 1 < e, bytes[i + 1] == UInt8(ascii: "u") || bytes[i + 1] == UInt8(ascii: "U") {
                let n = bytes[i + 1] == UInt8(ascii: "u") ? 4 : 8
                if i + 2 + n <= e,
                   let v = UInt32(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[(i + 2)..<(i + 2 + n)]), as: UTF8.self), radix: 16),
                   let u = Unicode.Scalar(v) {
                    out.append(u); i += 2 + n; continue
                }
            }
            out.append(Unicode.Scalar(c)); i += 1
        }
        pos = e + 1
        return String(out)
    }

    // MARK: stack

    private mutating func make(_ kind: PickleObject.Kind, items: [PickleObject] = []) throws -> PickleObject {
        created += 1
        guard created <= limits.maxObjects else { throw Failure("more than \(limits.maxObjects) objects") }
        return PickleObject(kind, items: items)
    }
    private mutating func push(_ kind: PickleObject.Kind) throws { stack.append(try make(kind)) }
    private mutating func pop() throws -> PickleObject {
        guard let top = stack.popLast() else { throw Failure("stack underflow at offset \(pos)") }
        if let m = marks.last, stack.count < m { throw Failure("stack underflow past a MARK at offset \(pos)") }
        return top
    }
    private mutating func top() throws -> PickleObject {
        guard let t = stack.last, stack.count > (marks.last ?? 0) else { throw Failure("empty stack at offset \(pos)") }
        return t
    }
    private mutating func popMark() throws -> [PickleObject] {
        guard let m = marks.popLast() else { throw Failure("no MARK on the stack at offset \(pos)") }
        let items = Array(stack[m...])
        stack.removeSubrange(m...)
        return items
    }
    private mutating func put(_ index: Int) throws {
        guard let t = stack.last else { throw Failure("memo put with empty stack") }
        guard index >= 0 else { throw Failure("negative memo index") }
        if memo[index] == nil, memo.count >= limits.maxMemo { throw Failure("memo exceeds \(limits.maxMemo) entries") }
        memo[index] = t
    }
    private mutating func get(_ index: Int) throws {
        guard let o = memo[index] else { throw Failure("memo index \(index) used before it was set") }
        stack.append(o)
        created += 1
        guard created <= limits.maxObjects else { throw Failure("more than \(limits.maxObjects) objects") }
    }
    private func setItems(_ target: PickleObject, _ flat: [PickleObject]) throws {
        guard flat.count % 2 == 0 else { throw Failure("SETITEMS with an odd number of items") }
        var i = 0
        while i < flat.count { target.pairs.append((flat[i], flat[i + 1])); i += 2 }
    }
    private func bigInt(_ b: UnsafeRawBufferPointer) -> PickleObject.Kind {
        if b.isEmpty { return .int(0) }
        if b.count <= 8 {
            var v: UInt64 = 0
            for (i, x) in b.enumerated() { v |= UInt64(x) << (8 * UInt64(i)) }
            if b.count < 8, b[b.count - 1] & 0x80 != 0 { v |= ~0 << (8 * UInt64(b.count)) }  // sign-extend
            return .int(Int64(bitPattern: v))
        }
        return .bigInt(Array(b))
    }
    private func decimal(_ s: String) throws -> PickleObject.Kind {
        var t = Substring(s.trimmingSpaces())
        if t.hasSuffix("L") { t = t.dropLast() }
        if t == "00" { return .bool(false) }
        if t == "01" { return .bool(true) }
        if let v = Int64(t) { return .int(v) }
        guard !t.isEmpty, t.drop(while: { $0 == "-" || $0 == "+" }).allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw Failure("malformed integer '\(s.prefix(40))'")
        }
        guard t.count <= limits.maxIntegerBytes else { throw Failure("integer of \(t.count) digits exceeds the limit") }
        return .bigDecimal(String(t))
    }

    /// Python 2 module names that protocols 0–2 still write (pickle's `fix_imports`).
    static func python3Module(_ m: String) -> String {
        switch m {
        case "__builtin__": return "builtins"
        case "copy_reg": return "copyreg"
        default: return m
        }
    }

    // MARK: running

    /// Runs until STOP and returns the object on top of the stack.
    public mutating func run() throws -> PickleObject {
        while true {
            let op = try u8()
            switch op {
            case 0x80: _ = try u8()                                    // PROTO
            case 0x95: _ = try le(UInt64.self)                          // FRAME (framing is transparent)
            case 0x2E:                                                  // STOP
                guard let result = stack.popLast() else { throw Failure("STOP with an empty stack") }
                return result
            case 0x28:                                                  // MARK
                guard marks.count < limits.maxMarks else { throw Failure("more than \(limits.maxMarks) nested MARKs") }
                marks.append(stack.count)
            case 0x30: _ = try pop()                                    // POP
            case 0x31: _ = try popMark()                                // POP_MARK
            case 0x32: let t = try top(); stack.append(t)               // DUP
            // Constants
            case 0x4E: try push(.none)                                  // NONE
            case 0x88: try push(.bool(true))                            // NEWTRUE
            case 0x89: try push(.bool(false))                           // NEWFALSE
            case 0x4B: try push(.int(Int64(try u8())))                  // BININT1
            case 0x4D: try push(.int(Int64(try le(UInt16.self))))       // BININT2
            case 0x4A: try push(.int(Int64(try le(Int32.self))))        // BININT
            case 0x8A:                                                  // LONG1
                let n = Int(try u8()); let b = try raw(n); try push(bigInt(b))
            case 0x8B:                                                  // LONG4
                let n = try length(Int32.self)
                guard n <= limits.maxIntegerBytes else { throw Failure("LONG4 of \(n) bytes exceeds the limit") }
                let b = try raw(n); try push(bigInt(b))
            case 0x49, 0x4C:                                            // INT, LONG (text)
                let s = try line()
                try push(try decimal(s))
            case 0x47:                                                  // BINFLOAT (big-endian)
                try push(.float(Double(bitPattern: UInt64(bigEndian: try le(UInt64.self).littleEndian))))
            case 0x46:                                                  // FLOAT (text)
                let s = try line()
                guard let v = Double(s.trimmingSpaces()) else { throw Failure("malformed float '\(s.prefix(40))'") }
                try push(.float(v))
            // Strings and bytes
            case 0x58: let n = try length(UInt32.self); try push(.string(String(decoding: try raw(n), as: UTF8.self)))   // BINUNICODE
            case 0x8C: let n = Int(try u8()); try push(.string(String(decoding: try raw(n), as: UTF8.self)))             // SHORT_BINUNICODE
            case 0x8D: let n = try length(UInt64.self); try push(.string(String(decoding: try raw(n), as: UTF8.self)))   // BINUNICODE8
            case 0x56: try push(.string(try rawUnicodeEscapeLine()))                                                      // UNICODE
            case 0x54: let n = try length(Int32.self); try push(.bytes(Array(try raw(n))))       // BINSTRING
            case 0x55: let n = Int(try u8()); try push(.bytes(Array(try raw(n))))                 // SHORT_BINSTRING
            case 0x53:                                                                            // STRING (quoted repr)
                var s = try line()
                if s.count >= 2, let f = s.first, f == s.last, f == "'" || f == "\"" { s = String(s.dropFirst().dropLast()) }
                try push(.bytes(Array(s.utf8)))
            case 0x42: let n = try length(UInt32.self); try push(.bytes(Array(try raw(n))))       // BINBYTES
            case 0x43: let n = Int(try u8()); try push(.bytes(Array(try raw(n))))                 // SHORT_BINBYTES
            case 0x8E: let n = try length(UInt64.self); try push(.bytes(Array(try raw(n))))       // BINBYTES8
            case 0x96: let n = try length(UInt64.self); try push(.bytes(Array(try raw(n))))       // BYTEARRAY8
            case 0x97: throw Failure("NEXT_BUFFER: out-of-band buffers are not available in a file")
            case 0x98: _ = try top()                                                              // READONLY_BUFFER
            // Containers
            case 0x5D: try push(.list)                                  // EMPTY_LIST
            case 0x7D: try push(.dict)                                  // EMPTY_DICT
            case 0x29: try push(.tuple)                                 // EMPTY_TUPLE
            case 0x8F: try push(.set)                                   // EMPTY_SET
            case 0x6C: let items = try popMark(); stack.append(try make(.list, items: items))      // LIST
            case 0x74: let items = try popMark(); stack.append(try make(.tuple, items: items))     // TUPLE
            case 0x91: let items = try popMark(); stack.append(try make(.set, items: items))       // FROZENSET
            case 0x85, 0x86, 0x87:                                       // TUPLE1/2/3
                let n = Int(op - 0x84)
                guard stack.count - (marks.last ?? 0) >= n else { throw Failure("stack underflow in TUPLE\(n)") }
                let items = Array(stack.suffix(n)); stack.removeLast(n)
                stack.append(try make(.tuple, items: items))
            case 0x64:                                                  // DICT
                let flat = try popMark(); let d = try make(.dict); try setItems(d, flat); stack.append(d)
            case 0x61: let v = try pop(); try top().items.append(v)      // APPEND
            case 0x65: let vs = try popMark(); try top().items.append(contentsOf: vs)   // APPENDS
            case 0x90: let vs = try popMark(); try top().items.append(contentsOf: vs)   // ADDITEMS
            case 0x73:                                                  // SETITEM
                let v = try pop(), k = try pop(); try top().pairs.append((k, v))
            case 0x75: let flat = try popMark(); try setItems(try top(), flat)           // SETITEMS
            // Memo
            case 0x70: guard let i = Int(try line().trimmingSpaces()) else { throw Failure("malformed PUT") }; try put(i)
            case 0x71: try put(Int(try u8()))                           // BINPUT
            case 0x72: try put(Int(try le(UInt32.self)))                // LONG_BINPUT
            case 0x94: try put(memo.count)                              // MEMOIZE
            case 0x67: guard let i = Int(try line().trimmingSpaces()) else { throw Failure("malformed GET") }; try get(i)
            case 0x68: try get(Int(try u8()))                           // BINGET
            case 0x6A: try get(Int(try le(UInt32.self)))                // LONG_BINGET
            // Globals and calls (recorded, never performed)
            case 0x63:                                                  // GLOBAL
                let m = try line(), n = try line()
                try push(.global(module: PickleMachine.python3Module(m), name: n))
            case 0x93:                                                  // STACK_GLOBAL
                let n = try pop(), m = try pop()
                guard case .string(let ns) = n.kind, case .string(let ms) = m.kind else { throw Failure("STACK_GLOBAL needs two strings") }
                try push(.global(module: ms, name: ns))
            case 0x82, 0x83, 0x84:                                       // EXT1/2/4: extension registry codes
                let code: Int = op == 0x82 ? Int(try u8()) : op == 0x83 ? Int(try le(UInt16.self)) : Int(try le(Int32.self))
                try push(.global(module: "copyreg.extension", name: String(code)))
            case 0x52:                                                  // REDUCE
                let args = try pop(), f = try pop()
                stack.append(try make(.call(callee: f, args: args)))
            case 0x81:                                                  // NEWOBJ
                let args = try pop(), cls = try pop()
                stack.append(try make(.call(callee: cls, args: args)))
            case 0x92:                                                  // NEWOBJ_EX
                let kwargs = try pop(), args = try pop(), cls = try pop()
                let call = try make(.call(callee: cls, args: args))
                call.state = kwargs.pairs.isEmpty ? nil : kwargs
                stack.append(call)
            case 0x69:                                                  // INST
                let m = try line(), n = try line()
                let args = try popMark()
                let cls = try make(.global(module: PickleMachine.python3Module(m), name: n))
                stack.append(try make(.call(callee: cls, args: try make(.tuple, items: args))))
            case 0x6F:                                                  // OBJ
                var items = try popMark()
                guard !items.isEmpty else { throw Failure("OBJ without a class") }
                let cls = items.removeFirst()
                stack.append(try make(.call(callee: cls, args: try make(.tuple, items: items))))
            case 0x62:                                                  // BUILD
                let st = try pop(); let obj = try top()
                if obj.state == nil { obj.state = st } else if case .dict = st.kind {
                    obj.state!.pairs.append(contentsOf: st.pairs)
                } else { obj.state = st }
            case 0x50: try push(.persistentID(try make(.string(try line()))))   // PERSID
            case 0x51: let pid = try pop(); try push(.persistentID(pid))          // BINPERSID
            default:
                throw Failure("unknown opcode 0x\(String(op, radix: 16)) at offset \(pos - 1)")
            }
        }
    }
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\r" || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\r" || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}
