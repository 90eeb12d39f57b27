import CKernels
import Foundation
/// Byte order of a tensor's elements in its storage.
public enum ByteOrder: String, Sendable {
    case little, big
    /// The byte order of this machine.
    public static var native: ByteOrder {
        1.littleEndian == 1 ? .little : .big
    }
}

/// A named, strided view of typed elements inside a file's bytes.
///
/// `shape` and `strides` follow NumPy/PyTorch: the element at index `(i₀, …, iₙ₋₁)` lives at
/// element offset `offset + Σ iₖ·strides[k]` from `storageStart` (strides in elements, not
/// bytes). Views that share a storage (transposes, slices, tied weights) share the same
/// `ByteSource`: nothing is copied until values are asked for.
public struct Tensor: Sendable {
    /// Key path in the file, e.g. `model.embed.W_E` (`.`-joined; list indices in decimal).
    public var name: String
    public var dtype: DType
    public var shape: [Int]
    /// Strides in elements, one per dimension.
    public var strides: [Int]
    /// Offset of element (0, …, 0) from `storageStart`, in elements.
    public var offset: Int
    /// The bytes the storage lives in (a mapped file or a decompressed copy).
    public var source: ByteSource
    /// Byte position of the storage's first element inside `source`.
    public var storageStart: Int
    /// Byte length of the storage (for bounds checks).
    public var storageLength: Int
    public var byteOrder: ByteOrder

    /// Creates a view after checking that every element it addresses lies inside the storage.
    public init(name: String, dtype: DType, shape: [Int], strides: [Int]? = nil, offset: Int = 0,
                source: ByteSource, storageStart: Int, storageLength: Int,
                byteOrder: ByteOrder = .little) throws {
        let strides = strides ?? Tensor.contiguousStrides(shape)
        guard strides.count == shape.count else {
            throw CheckpointError(path: source.path, "tensor '\(name)': \(shape.count) dimensions but \(strides.count) strides")
        }
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw CheckpointError(path: source.path, "tensor '\(name)': negative dimension in shape \(shape)")
        }
        guard offset >= 0, storageStart >= 0, storageLength >= 0,
              storageStart <= source.count, storageLength <= source.count - storageStart else {
            throw CheckpointError(path: source.path, "tensor '\(name)': storage lies outside the file (start \(storageStart), \(storageLength) bytes, file \(source.count) bytes)")
        }
        // Element count, overflow-checked (absurd shapes must not wrap around).
        var count = 1
        for d in shape {
            let (c, o) = count.multipliedReportingOverflow(by: d)
            guard !o else { throw CheckpointError(path: source.path, "tensor '\(name)': absurd shape \(shape)") }
            count = c
        }
        if count > 0 {
            // Highest and lowest element addressed.
            var hi = offset, lo = offset
            for (d, s) in zip(shape, strides) {
                let (span, o1) = (d - 1).multipliedReportingOverflow(by: s)
                guard !o1 else { throw CheckpointError(path: source.path, "tensor '\(name)': absurd strides \(strides) for shape \(shape)") }
                let (next, o2) = span >= 0 ? hi.addingReportingOverflow(span) : lo.addingReportingOverflow(span)
                guard !o2 else { throw CheckpointError(path: source.path, "tensor '\(name)': absurd strides \(strides) for shape \(shape)") }
                if span >= 0 { hi = next } else { lo = next }
            }
            let (end, o4) = hi.addingReportingOverflow(1)
            let (endBytes, o3) = end.multipliedReportingOverflow(by: dtype.itemSize)
            guard lo >= 0, !o3, !o4, endBytes <= storageLength else {
                throw CheckpointError(path: source.path, "tensor '\(name)': shape \(shape), strides \(strides), offset \(offset) address elements beyond its storage of \(storageLength / max(dtype.itemSize, 1)) \(dtype.rawValue) elements")
            }
        }
        self.name = name; self.dtype = dtype; self.shape = shape; self.strides = strides
        self.offset = offset; self.source = source; self.storageStart = storageStart
        self.storageLength = storageLength; self.byteOrder = byteOrder
    }

    /// Row-major (C order) strides for `shape`.
    public static func contiguousStrides(_ shape: [Int]) -> [Int] {
        var s = [Int](repeating: 1, count: shape.count)
        var acc = 1
        for k in stride(from: shape.count - 1, through: 0, by: -1) {
            s[k] = acc
            acc = acc &* max(shape[k], 1)
        }
        return s
    }

    /// Column-major (Fortran order) strides for `shape`.
    public static func fortranStrides(_ shape: [Int]) -> [Int] {
        var s = [Int](repeating: 1, count: shape.count)
        var acc = 1
        for k in 0..<shape.count {
            s[k] = acc
            acc = acc &* max(shape[k], 1)
        }
        return s
    }

    /// Number of elements.
    public var elementCount: Int { shape.reduce(1, *) }
    public var rank: Int { shape.count }

    /// True when the elements are in native byte order, so they can be read in place.
    public var isNativeByteOrder: Bool { byteOrder == .native || dtype.itemSize == 1 }

    /// Pointer to element (0, …, 0). Valid while `source` is alive; for a lazy source (a
    /// deflated zip member) call `source.load()` first, which says why it is nil otherwise.
    public var baseAddress: UnsafeRawPointer? {
        source.base.map { $0 + storageStart + offset * dtype.itemSize }
    }

    /// Element offsets (relative to element (0,…,0)) in C order.
    @inline(__always)
    private func forEachOffset(_ body: (Int) -> Void) {
        let n = elementCount
        if n == 0 { return }
        if shape.isEmpty { body(0); return }
        if strides == Tensor.contiguousStrides(shape) {
            for i in 0..<n { body(i) }
            return
        }
        var index = [Int](repeating: 0, count: shape.count)
        var off = 0
        for _ in 0..<n {
            body(off)
            var k = shape.count - 1
            while k >= 0 {
                index[k] += 1
                off += strides[k]
                if index[k] < shape[k] { break }
                off -= strides[k] * shape[k]
                index[k] = 0
                k -= 1
            }
        }
    }

    /// The most bytes one tensor may take once materialized (widened to Double, or copied in
    /// C order by `convert`): 16 GiB, or the environment's `IRREPSCOPE_MAX_TENSOR_BYTES`. A
    /// broadcast (stride-0) view of a few bytes can describe petabytes; it is refused with a
    /// message before anything is allocated.
    public static let materializationLimit: Int = {
        if let c = getenv("IRREPSCOPE_MAX_TENSOR_BYTES"), let n = Int(String(cString: c)), n > 0 { return n }
        return 16 << 30
    }()

    /// elementCount × `bytesPerElement`, checked against `materializationLimit`.
    public func materializedByteCount(bytesPerElement: Int) throws -> Int {
        let (bytes, o) = elementCount.multipliedReportingOverflow(by: bytesPerElement)
        guard !o, bytes <= Tensor.materializationLimit else {
            throw CheckpointError(path: source.path, "tensor '\(name)' of shape \(shape) would take \(o ? "more than 2^63" : String(bytes)) bytes once materialized, above the limit of \(Tensor.materializationLimit) bytes (raise it with IRREPSCOPE_MAX_TENSOR_BYTES)")
        }
        return bytes
    }

    /// All elements as `Double`, in C order (complex types: real parts only is an error).
    ///
    /// Half, bfloat16 and float8 values are widened exactly; 64-bit integers beyond 2⁵³ round.
    public func doubleValues() throws -> [Double] {
        guard !dtype.isComplex else {
            throw CheckpointError(path: source.path, "tensor '\(name)' is \(dtype.rawValue); a real tensor is needed here")
        }
        _ = try materializedByteCount(bytesPerElement: 8)
        try source.load()
        guard let base = baseAddress else { return [] }
        // The common case (native float32/float64, C order) in one tight loop; the data may
        // sit at any byte offset inside an archive, hence unaligned loads.
        if isNativeByteOrder, isContiguous, dtype == .float32 || dtype == .float64 {
            let count = elementCount
            let single = dtype == .float32
            irrepscope_prefault(base, count * dtype.itemSize, 0)
            return [Double](unsafeUninitializedCapacity: count) { buffer, initialized in
                irrepscope_prefault(buffer.baseAddress, count * 8, 1)
                if single {
                    for i in 0..<count { buffer[i] = Double(base.loadUnaligned(fromByteOffset: 4 * i, as: Float.self)) }
                } else {
                    for i in 0..<count { buffer[i] = base.loadUnaligned(fromByteOffset: 8 * i, as: Double.self) }
                }
                initialized = count
            }
        }
        var out = [Double]()
        out.reserveCapacity(elementCount)
        let decode = ElementDecoder.decoder(for: dtype, byteOrder: byteOrder)
        let size = dtype.itemSize
        forEachOffset { out.append(decode(base + $0 * size)) }
        return out
    }

    /// All elements as `Float`, in C order.
    public func floatValues() throws -> [Float] {
        try source.load()
        if dtype == .float32, isNativeByteOrder, strides == Tensor.contiguousStrides(shape), let base = baseAddress {
            return Array(UnsafeBufferPointer(start: base.assumingMemoryBound(to: Float.self), count: elementCount))
        }
        return try doubleValues().map { Float($0) }
    }

    /// True when the elements lie contiguously in C order (no gaps, no reordering).
    public var isContiguous: Bool { strides == Tensor.contiguousStrides(shape) }

    /// Raw little-endian bytes of all elements in C order (for writers such as `convert`);
    /// refused above `materializationLimit`.
    public func contiguousLittleEndianBytes() throws -> [UInt8] {
        let size = dtype.itemSize
        var out = [UInt8]()
        out.reserveCapacity(try materializedByteCount(bytesPerElement: size))
        try source.load()
        guard let base = baseAddress else { return out }
        let swap = byteOrder == .big && size > 1
        if !swap, strides == Tensor.contiguousStrides(shape) {
            // Contiguous little-endian elements: one copy of the bytes as they lie.
            out.append(contentsOf: UnsafeRawBufferPointer(start: base, count: elementCount * size))
            return out
        }
        let component = dtype.isComplex ? size / 2 : size
        forEachOffset { off in
            let p = (base + off * size).assumingMemoryBound(to: UInt8.self)
            if swap {
                var c = 0
                while c < size {
                    for b in stride(from: component - 1, through: 0, by: -1) { out.append(p[c + b]) }
                    c += component
                }
            } else {
                out.append(contentsOf: UnsafeBufferPointer(start: p, count: size))
            }
        }
        return out
    }
}

/// Widening element decoders (exact for every floating type up to float64).
public enum ElementDecoder {
    public typealias Decode = (UnsafeRawPointer) -> Double

    @inline(__always) static func load<T: FixedWidthInteger>(_ p: UnsafeRawPointer, _: T.Type, _ big: Bool) -> T {
        let v = p.loadUnaligned(as: T.self)
        return big ? T(bigEndian: v) : T(littleEndian: v)
    }

    /// IEEE binary16 bits → Double.
    public static func half(_ bits: UInt16) -> Double {
        let sign: Double = (bits & 0x8000) != 0 ? -1 : 1
        let e = Int((bits >> 10) & 0x1f), m = Double(bits & 0x3ff)
        if e == 0 { return sign * m * 0x1p-24 }
        if e == 31 { return m == 0 ? sign * .infinity : .nan }
        return sign * (1 + m / 1024) * Double(sign: .plus, exponent: e - 15, significand: 1)
    }

    /// bfloat16 bits → Double (the top half of a float32).
    public static func bfloat16(_ bits: UInt16) -> Double {
        Double(Float(bitPattern: UInt32(bits) << 16))
    }

    /// float8 e4m3fn (bias 7, no infinities, S.1111.111 is NaN) → Double.
    public static func float8e4m3fn(_ b: UInt8) -> Double {
        let sign: Double = (b & 0x80) != 0 ? -1 : 1
        let e = Int((b >> 3) & 0xf), m = Double(b & 0x7)
        if e == 15 && (b & 0x7) == 7 { return .nan }
        if e == 0 { return sign * m * 0x1p-9 }
        return sign * (1 + m / 8) * Double(sign: .plus, exponent: e - 7, significand: 1)
    }

    /// float8 e5m2 (bias 15, IEEE-like with infinities and NaNs) → Double.
    public static func float8e5m2(_ b: UInt8) -> Double {
        half(UInt16(b) << 8)
    }

    public static func decoder(for dtype: DType, byteOrder: ByteOrder) -> Decode {
        let big = byteOrder == .big
        switch dtype {
        case .bool: return { Double($0.load(as: UInt8.self) != 0 ? 1 : 0) }
        case .uint8: return { Double($0.load(as: UInt8.self)) }
        case .int8: return { Double($0.load(as: Int8.self)) }
        case .uint16: return { Double(load($0, UInt16.self, big)) }
        case .int16: return { Double(load($0, Int16.self, big)) }
        case .uint32: return { Double(load($0, UInt32.self, big)) }
        case .int32: return { Double(load($0, Int32.self, big)) }
        case .uint64: return { Double(load($0, UInt64.self, big)) }
        case .int64: return { Double(load($0, Int64.self, big)) }
        case .float16: return { half(load($0, UInt16.self, big)) }
        case .bfloat16: return { bfloat16(load($0, UInt16.self, big)) }
        case .float8_e4m3fn: return { float8e4m3fn($0.load(as: UInt8.self)) }
        case .float8_e5m2: return { float8e5m2($0.load(as: UInt8.self)) }
        case .float32: return { Double(Float(bitPattern: load($0, UInt32.self, big))) }
        case .float64: return { Double(bitPattern: load($0, UInt64.self, big)) }
        case .complex64: return { Double(Float(bitPattern: load($0, UInt32.self, big))) }
        case .complex128: return { Double(bitPattern: load($0, UInt64.self, big)) }
        }
    }
}
