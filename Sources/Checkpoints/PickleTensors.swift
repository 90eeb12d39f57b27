/// A storage's bytes as located by a format (a zip member, a legacy data block).
public struct StorageSlice {
    public var source: ByteSource
    public var start: Int
    public var length: Int
    /// Element type for typed storages (`torch.FloatStorage`); nil for `torch.UntypedStorage`.
    public var dtype: DType?
    public var byteOrder: ByteOrder

    public init(source: ByteSource, start: Int, length: Int, dtype: DType?, byteOrder: ByteOrder) {
        self.source = source; self.start = start; self.length = length; self.dtype = dtype; self.byteOrder = byteOrder
    }
}

/// A decoded persistent id `('storage', type, key, location, numel[, view_metadata])`.
public struct StorageID {
    public var key: String
    /// nil for untyped storages (numel then counts bytes).
    public var dtype: DType?
    public var numel: Int
    /// Legacy views of a larger storage: (view key, element offset, element count).
    public var view: (key: String, offset: Int, count: Int)?

    /// Decodes a persistent id node; throws on anything that is not a storage id.
    init(_ pid: PickleObject, fail: (String) -> CheckpointError) throws {
        guard case .tuple = pid.kind, pid.items.count >= 5,
              case .string(let tag) = pid.items[0].kind, tag == "storage" else {
            throw fail("persistent id is not a ('storage', …) tuple")
        }
        guard let typeName = pid.items[1].globalName else { throw fail("storage type is not a global") }
        if typeName == "torch.UntypedStorage" || typeName == "torch.storage.UntypedStorage" {
            dtype = nil
        } else if let d = TorchNames.storageTypes[typeName] {
            dtype = d
        } else {
            throw fail("unknown storage type \(typeName)")
        }
        switch pid.items[2].kind {
        case .string(let s): key = s
        case .int(let i): key = String(i)
        default: throw fail("storage key is not a string")
        }
        guard case .int(let n) = pid.items[4].kind, n >= 0 else { throw fail("storage '\(key)': element count is not a non-negative integer") }
        numel = Int(n)
        view = nil
        if pid.items.count >= 6, case .tuple = pid.items[5].kind {
            let v = pid.items[5].items
            guard v.count == 3, case .string(let vk) = v[0].kind, case .int(let off) = v[1].kind, case .int(let cnt) = v[2].kind,
                  off >= 0, cnt >= 0 else { throw fail("storage '\(key)': malformed view metadata") }
            view = (vk, Int(off), Int(cnt))
        }
    }
}

/// PyTorch's names for storage classes and dtypes.
public enum TorchNames {
    public static let storageTypes: [String: DType] = [
        "torch.FloatStorage": .float32, "torch.DoubleStorage": .float64, "torch.HalfStorage": .float16,
        "torch.BFloat16Storage": .bfloat16, "torch.LongStorage": .int64, "torch.IntStorage": .int32,
        "torch.ShortStorage": .int16, "torch.CharStorage": .int8, "torch.ByteStorage": .uint8,
        "torch.BoolStorage": .bool, "torch.ComplexFloatStorage": .complex64, "torch.ComplexDoubleStorage": .complex128,
        "torch.cuda.FloatStorage": .float32, "torch.cuda.DoubleStorage": .float64, "torch.cuda.HalfStorage": .float16,
        "torch.cuda.BFloat16Storage": .bfloat16, "torch.cuda.LongStorage": .int64, "torch.cuda.IntStorage": .int32,
        "torch.cuda.ShortStorage": .int16, "torch.cuda.CharStorage": .int8, "torch.cuda.ByteStorage": .uint8,
        "torch.cuda.BoolStorage": .bool,
    ]
    public static let dtypes: [String: DType] = [
        "torch.float32": .float32, "torch.float": .float32, "torch.float64": .float64, "torch.double": .float64,
        "torch.float16": .float16, "torch.half": .float16, "torch.bfloat16": .bfloat16,
        "torch.float8_e4m3fn": .float8_e4m3fn, "torch.float8_e5m2": .float8_e5m2,
        "torch.int8": .int8, "torch.int16": .int16, "torch.short": .int16, "torch.int32": .int32, "torch.int": .int32,
        "torch.int64": .int64, "torch.long": .int64, "torch.uint8": .uint8, "torch.uint16": .uint16,
        "torch.uint32": .uint32, "torch.uint64": .uint64, "torch.bool": .bool,
        "torch.complex64": .complex64, "torch.cfloat": .complex64, "torch.complex128": .complex128, "torch.cdouble": .complex128,
    ]
}

/// Turns an inert pickle tree into named tensors, metadata and opaque objects.
///
/// Recognised by pattern, never executed: `torch._utils._rebuild_tensor{,_v2,_v3}`,
/// `_rebuild_parameter{,_with_state}`, `torch._tensor._rebuild_from_type_v2`,
/// `collections.OrderedDict`, `_codecs.encode`, `torch.Size`, `torch.device`. Any other call is an
/// opaque node: reported with its key path and global name, and its arguments (tensors only)
/// and state (tensors and scalars) are searched further. Key paths join dict keys and list
/// indices with `.`; the `_parameters`/`_buffers`/`_modules` dicts of a pickled `nn.Module` are
/// transparent, so its tensors get their `state_dict` names.
public struct PickleTreeReader {
    public let path: String
    public var tensors: [Tensor] = []
    public var metadata: [(key: String, value: MetadataValue)] = []
    public var opaque: [(key: String, global: String)] = []
    /// Resolves a persistent id to its storage bytes (cached by the caller by key).
    let resolve: (StorageID) throws -> StorageSlice
    /// Name for a tensor that is the pickle's root object.
    let rootName: String
    let limits: PickleLimits
    /// Nodes visited before giving up: shared sub-trees are visited once per path, so a
    /// hostile pickle of n objects can describe 2ⁿ paths ("billion laughs").
    public var maxVisits: Int
    /// Bytes of key paths and metadata strings this walk may produce (docs/formats.md §13):
    /// through the memo a small pickle can name one megabyte key 200 000 times, or nest 400
    /// dicts under it, describing gigabytes of key paths. Callers set it in proportion to the
    /// file with `textBudget(forFileOf:)`; past it the walk stops with an error.
    public var textBudget: Int = PickleTreeReader.textBudget(forFileOf: 0)
    private var textUsed = 0
    private var steps = 0
    private var onPath = Set<ObjectIdentifier>()

    public init(path: String, rootName: String, limits: PickleLimits = PickleLimits(),
                resolve: @escaping (StorageID) throws -> StorageSlice) {
        self.path = path; self.rootName = rootName; self.limits = limits; self.resolve = resolve
        self.maxVisits = limits.maxObjects
    }

    func fail(_ m: String) -> CheckpointError { CheckpointError(path: path, m) }

    /// 64 MiB plus 8 bytes per byte of the file: far more than the key paths and strings of
    /// any real checkpoint, far less than an amplifying one asks for.
    public static func textBudget(forFileOf bytes: Int) -> Int {
        let (extra, o) = bytes.multipliedReportingOverflow(by: 8)
        return o ? Int.max : (64 << 20).addingReportingOverflow(extra).overflow ? Int.max : (64 << 20) + extra
    }

    /// Counts `bytes` of text against `textBudget`.
    mutating func charge(_ bytes: Int, at key: String) throws {
        textUsed = textUsed &+ bytes
        guard textUsed <= textBudget, textUsed >= 0 else {
            throw fail("pickle: its key paths and strings would take more than \(textBudget) bytes (the memo repeats large keys or strings; near '\(DisplayText.truncated(key, limit: 80))')")
        }
    }

    /// `join(key, part)`, charged to the text budget before the string is made.
    mutating func child(_ key: String, _ part: String) throws -> String {
        try charge(key.utf8.count + part.utf8.count + 1, at: key)
        return PickleTreeReader.join(key, part)
    }

    static func join(_ a: String, _ b: String) -> String { a.isEmpty ? b : b.isEmpty ? a : a + "." + b }

    /// A dict key as text. Tuple keys are joined with ','; nesting beyond a few levels (only
    /// seen in hostile files, possibly cyclic) is cut off.
    static func keyString(_ k: PickleObject) -> String {
        var nodes = 0
        return keyString(k, depth: 0, nodes: &nodes)
    }

    /// At most 256 nodes of a (possibly memo-shared) tuple key are spelled out.
    private static func keyString(_ k: PickleObject, depth: Int, nodes: inout Int) -> String {
        nodes += 1
        guard depth < 8, nodes <= 256 else { return "…" }
        switch k.kind {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .bool(let b): return b ? "True" : "False"
        case .float(let d): return String(d)
        case .none: return "None"
        case .bytes(let b): return String(decoding: b, as: UTF8.self)
        case .tuple:
            var parts: [String] = []
            for item in k.items.prefix(16) { parts.append(keyString(item, depth: depth + 1, nodes: &nodes)) }
            return parts.joined(separator: ",")
        default: return k.globalName ?? "?"
        }
    }

    /// Walks `root`, collecting everything under the key path `key`.
    public mutating func walk(_ root: PickleObject, key: String = "") throws {
        try walk(root, key: key, depth: 0, scalars: true)
    }

    mutating func walk(_ o: PickleObject, key: String, depth: Int, scalars: Bool) throws {
        steps += 1
        guard steps <= maxVisits else { throw fail("pickle: object graph too large to walk (more than \(maxVisits) visits; shared sub-trees?)") }
        guard depth <= limits.maxDepth else { throw fail("pickle: objects nested more than \(limits.maxDepth) levels deep at '\(key)'") }
        let id = ObjectIdentifier(o)
        guard !onPath.contains(id) else { return }  // a cycle through the memo
        onPath.insert(id)
        defer { onPath.remove(id) }
        func scalar(_ v: MetadataValue, text: Int = 0) throws {
            guard scalars else { return }
            try charge(text + 16, at: key)
            metadata.append((key, v))
        }
        switch o.kind {
        case .none: try scalar(.null)
        case .bool(let b): try scalar(.bool(b))
        case .int(let i): try scalar(.int(i))
        case .bigInt(let b): try scalar(.bigInt(PickleTreeReader.decimal(b)), text: b.count * 3)
        case .bigDecimal(let s): try scalar(.bigInt(s), text: s.utf8.count)
        case .float(let d): try scalar(.double(d))
        case .string(let s): try scalar(.string(s), text: s.utf8.count)
        case .bytes(let b): try scalar(.bytes(b.count))
        case .list, .tuple, .set:
            for (i, item) in o.items.enumerated() {
                try walk(item, key: try child(key, String(i)), depth: depth + 1, scalars: scalars)
            }
        case .dict:
            try walkPairs(o.pairs, key: key, depth: depth, scalars: scalars, moduleState: false)
        case .global, .persistentID:
            break
        case .call(let callee, let args):
            try walkCall(o, callee: callee, args: args, key: key, depth: depth, scalars: scalars)
        }
    }

    private mutating func walkPairs(_ pairs: [(key: PickleObject, value: PickleObject)], key: String, depth: Int,
                                    scalars: Bool, moduleState: Bool) throws {
        for (k, v) in pairs {
            let ks = PickleTreeReader.keyString(k)
            if moduleState, ks == "_parameters" || ks == "_buffers" || ks == "_modules" {
                try walk(v, key: key, depth: depth + 1, scalars: scalars)
            } else {
                try walk(v, key: try child(key, ks), depth: depth + 1, scalars: scalars)
            }
        }
    }

    /// `walkPairs` for the pytree readers (PicklePytree.swift).
    mutating func walkPairsPublic(_ pairs: [(key: PickleObject, value: PickleObject)], key: String, depth: Int, scalars: Bool) throws {
        try walkPairs(pairs, key: key, depth: depth, scalars: scalars, moduleState: false)
    }

    private mutating func walkCall(_ o: PickleObject, callee: PickleObject, args: PickleObject, key: String,
                                   depth: Int, scalars: Bool) throws {
        let name = callee.globalName ?? "<call>"
        if let t = try tensor(from: o, name: key.isEmpty ? rootName : key) {
            tensors.append(t)
            return
        }
        if name.hasPrefix("numpy"), name.hasSuffix(".multiarray.scalar") || name.hasSuffix(".multiarray._reconstruct") {
            if try numpyValue(o, name: name, args: args, key: key, scalars: scalars) { return }
        }
        if try pytreeCall(o, name: name, args: args, key: key, depth: depth, scalars: scalars) { return }
        switch name {
        case "collections.OrderedDict", "builtins.dict", "__builtin__.dict", "collections.defaultdict":
            // OrderedDict([(k, v), …]) in older pickles; SETITEMS in newer. The BUILD state
            // (`_metadata` of a state_dict) is bookkeeping, not weights.
            if name != "collections.defaultdict", let first = args.items.first, case .list = first.kind {
                for pair in first.items where pair.items.count == 2 {
                    try walk(pair.items[1], key: try child(key, PickleTreeReader.keyString(pair.items[0])),
                             depth: depth + 1, scalars: scalars)
                }
            }
            try walkPairs(o.pairs, key: key, depth: depth, scalars: scalars, moduleState: false)
            return
        case "builtins.set", "builtins.frozenset", "builtins.list", "builtins.tuple", "torch.Size":
            if let first = args.items.first { try walk(first, key: key, depth: depth + 1, scalars: scalars) }
            return
        case "_codecs.encode":
            if scalars, let first = args.items.first, case .string(let s) = first.kind {
                metadata.append((key, .bytes(s.unicodeScalars.count)))
            }
            return
        case "torch.device":
            if scalars { metadata.append((key, .string(args.items.map { PickleTreeReader.keyString($0) }.joined(separator: ":")))) }
            return
        default:
            break
        }
        // Unknown: opaque. copyreg._reconstructor(cls, base, state) names the real class.
        var global = name
        var moduleState = false
        if name == "copyreg._reconstructor" || name == "copy_reg._reconstructor" || name == "copyreg.__newobj__",
           let cls = args.items.first?.globalName {
            global = cls
        }
        // An nn.Module (any class whose state has `_parameters` and `_modules`): its
        // parameter, buffer and submodule dicts do not add to the key path.
        if let st = o.state {
            let dict = st.pairs.isEmpty && st.items.count == 2 ? st.items[0] : st
            let keys = Set(dict.pairs.map { PickleTreeReader.keyString($0.key) })
            moduleState = keys.contains("_parameters") && keys.contains("_modules")
        }
        try charge(key.utf8.count + global.utf8.count, at: key)
        opaque.append((key, global))
        // Arguments: searched for tensors only (their strings are code, for all we know).
        try walk(args, key: key, depth: depth + 1, scalars: false)
        for (i, item) in o.items.enumerated() {
            try walk(item, key: try child(key, String(i)), depth: depth + 1, scalars: scalars)
        }
        try walkPairs(o.pairs, key: key, depth: depth, scalars: scalars, moduleState: false)
        if let st = o.state {
            if case .dict = st.kind {
                try walkPairs(st.pairs, key: key, depth: depth, scalars: scalars, moduleState: moduleState)
            } else if case .tuple = st.kind, st.items.count == 2, case .dict = st.items[0].kind {
                // (state, slotstate)
                try walkPairs(st.items[0].pairs, key: key, depth: depth, scalars: scalars, moduleState: moduleState)
                try walk(st.items[1], key: key, depth: depth + 1, scalars: scalars)
            } else {
                try walk(st, key: key, depth: depth + 1, scalars: scalars)
            }
        }
    }

    /// NumPy scalars (`multiarray.scalar(dtype, bytes)`) become metadata and arrays
    /// (`multiarray._reconstruct` + BUILD `(1, shape, dtype, is_fortran, bytes)`) tensors, their
    /// bytes copied out of the pickle. False when the pattern does not match (then opaque).
    private mutating func numpyValue(_ o: PickleObject, name: String, args: PickleObject, key: String, scalars: Bool) throws -> Bool {
        func dtype(_ d: PickleObject) -> (DType, ByteOrder)? { PickleTreeReader.numpyDType(d) }
        func bytes(_ b: PickleObject) -> [UInt8]? {
            switch b.kind {
            case .bytes(let x): return x
            case .call(let c, let a) where c.globalName == "_codecs.encode":
                guard case .string(let s)? = a.items.first?.kind else { return nil }
                var out: [UInt8] = []
                for u in s.unicodeScalars { guard u.value < 256 else { return nil }; out.append(UInt8(u.value)) }
                return out
            default: return nil
            }
        }
        if name.hasSuffix(".scalar") {
            guard args.items.count == 2, let (t, order) = dtype(args.items[0]), let raw = bytes(args.items[1]),
                  raw.count == t.itemSize else { return false }
            guard scalars else { return true }
            let src = ByteSource(bytes: raw, path: path)
            let tensor = try Tensor(name: key, dtype: t, shape: [], source: src, storageStart: 0, storageLength: raw.count, byteOrder: order)
            if t.isComplex { metadata.append((key, .string("complex"))); return true }
            let v = try tensor.doubleValues()[0]
            switch t {
            case .bool: metadata.append((key, .bool(v != 0)))
            case _ where t.isFloatingPoint: metadata.append((key, .double(v)))
            case .uint64:
                let u = UInt64(littleEndian: try tensor.contiguousLittleEndianBytes().withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
                metadata.append((key, u <= UInt64(Int64.max) ? .int(Int64(u)) : .bigInt(String(u))))
            case .int64:
                metadata.append((key, .int(Int64(littleEndian: try tensor.contiguousLittleEndianBytes().withUnsafeBytes { $0.loadUnaligned(as: Int64.self) }))))
            default: metadata.append((key, .int(Int64(v))))
            }
            return true
        }
        // _reconstruct(ndarray, (0,), b'b') then BUILD (version, shape, dtype, is_fortran, data).
        guard let st = o.state, case .tuple = st.kind, st.items.count == 5,
              let (t, order) = dtype(st.items[2]), let raw = bytes(st.items[4]) else { return false }
        let shape = try intTuple(st.items[1], what: "shape", name: key)
        guard shape.allSatisfy({ $0 >= 0 }) else { throw fail("'\(key)': negative numpy shape") }
        var fortran = false
        if case .bool(let f) = st.items[3].kind { fortran = f }
        let src = ByteSource(bytes: raw, path: path)
        tensors.append(try Tensor(name: key.isEmpty ? rootName : key, dtype: t, shape: shape,
                                  strides: fortran ? Tensor.fortranStrides(shape) : Tensor.contiguousStrides(shape),
                                  source: src, storageStart: 0, storageLength: raw.count, byteOrder: order))
        return true
    }

    /// The tensor built by `o` if it is one of the allow-listed rebuild calls.
    func tensor(from o: PickleObject, name: String, depth: Int = 0) throws -> Tensor? {
        guard case .call(let callee, let args) = o.kind, let fn = callee.globalName else { return nil }
        guard depth < 8 else { throw fail("'\(name)': rebuild calls nested \(depth) deep") }
        let a = args.items
        switch fn {
        case "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state":
            guard let data = a.first, let t = try tensor(from: data, name: name, depth: depth + 1) else {
                throw fail("'\(name)': _rebuild_parameter without a tensor")
            }
            return t
        case "torch._tensor._rebuild_from_type_v2":
            guard a.count >= 3, case .tuple = a[2].kind else { throw fail("'\(name)': malformed _rebuild_from_type_v2") }
            let inner = PickleObject(.call(callee: a[0], args: a[2]))
            return try tensor(from: inner, name: name, depth: depth + 1)
        case "torch._utils._rebuild_tensor", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor_v3":
            guard a.count >= 4 else { throw fail("'\(name)': \(fn) with \(a.count) arguments") }
            guard case .persistentID(let pid) = a[0].kind else { throw fail("'\(name)': storage is not a persistent id") }
            let sid = try StorageID(pid) { m in fail("'\(name)': \(m)") }
            guard case .int(let off) = a[1].kind, off >= 0 else { throw fail("'\(name)': storage offset is not a non-negative integer") }
            let shape = try intTuple(a[2], what: "size", name: name)
            let strides = try intTuple(a[3], what: "stride", name: name)
            var dtype = sid.dtype
            if fn.hasSuffix("_v3") {
                guard a.count >= 7, let dn = a[6].globalName, let d = TorchNames.dtypes[dn] else {
                    throw fail("'\(name)': _rebuild_tensor_v3 without a known dtype")
                }
                dtype = d
            }
            guard let dtype else { throw fail("'\(name)': untyped storage without a dtype") }
            let storage = try resolve(sid)
            // The storage's declared size bounds the view, and must fit the bytes found.
            let itemBytes = sid.dtype == nil ? 1 : dtype.itemSize
            var (declared, o1) = sid.numel.multipliedReportingOverflow(by: itemBytes)
            if sid.view != nil { declared = storage.length }  // legacy view: its own extent
            guard !o1, declared <= storage.length else {
                throw fail("'\(name)': storage '\(sid.key)' declares \(sid.numel) elements but only \(storage.length) bytes are stored")
            }
            return try Tensor(name: name, dtype: dtype, shape: shape, strides: strides, offset: Int(off),
                              source: storage.source, storageStart: storage.start, storageLength: declared,
                              byteOrder: storage.byteOrder)
        default:
            return nil
        }
    }

    func intTuple(_ o: PickleObject, what: String, name: String) throws -> [Int] {
        var items = o.items
        if case .call(let c, let args) = o.kind, c.globalName == "torch.Size", let f = args.items.first { items = f.items }
        var out: [Int] = []
        for i in items {
            guard case .int(let v) = i.kind else { throw fail("'\(name)': \(what) is not a tuple of integers") }
            out.append(Int(v))
        }
        guard out.count <= 64 else { throw fail("'\(name)': \(out.count) dimensions") }
        return out
    }

    /// Decimal digits of a little-endian two's-complement integer.
    static func decimal(_ bytes: [UInt8]) -> String {
        var mag = bytes
        let negative = (bytes.last ?? 0) & 0x80 != 0
        if negative {  // two's complement → magnitude
            var carry = 1
            for i in 0..<mag.count {
                let v = Int(~mag[i]) + carry
                mag[i] = UInt8(v & 0xff); carry = v >> 8
            }
        }
        var digits: [UInt8] = []
        var limbs = mag.reversed().map { Int($0) }  // big-endian
        while limbs.contains(where: { $0 != 0 }) {
            var rem = 0
            for i in 0..<limbs.count {
                let cur = rem * 256 + limbs[i]
                limbs[i] = cur / 10; rem = cur % 10
            }
            digits.append(UInt8(rem) + 48)
        }
        if digits.isEmpty { return "0" }
        return (negative ? "-" : "") + String(decoding: digits.reversed(), as: UTF8.self)
    }

    /// Every persistent id in the tree, in first-seen order (for formats that must size
    /// storages before walking).
    static func persistentIDs(_ root: PickleObject, limit: Int) throws -> [PickleObject] {
        var seen = Set<ObjectIdentifier>()
        var out: [PickleObject] = []
        var stack = [root]
        while let o = stack.popLast() {
            guard seen.insert(ObjectIdentifier(o)).inserted else { continue }
            guard seen.count <= limit else { throw PickleMachine.Failure("object graph too large") }
            switch o.kind {
            case .persistentID(let pid): out.append(pid)
            case .call(let c, let a): stack.append(a); stack.append(c)
            default: break
            }
            if let s = o.state { stack.append(s) }
            for (k, v) in o.pairs.reversed() { stack.append(v); stack.append(k) }
            stack.append(contentsOf: o.items.reversed())
        }
        return out
    }
}
