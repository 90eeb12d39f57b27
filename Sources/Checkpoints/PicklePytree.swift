/// Plain pickle files (`pickle.dump(params, f)`): the pytrees of JAX, Flax, Optax and NumPy
/// trainers, read by the same inert machine as torch's pickles (docs/formats.md §14).
///
/// Nothing is imported or called. Arrays are recognised by the shape of what their
/// `__reduce__` wrote:
///
/// * NumPy (protocols 0–4): `numpy._core.multiarray._reconstruct(ndarray, (0,), b'b')` then
///   BUILD `(1, shape, dtype, is_fortran, raw bytes)` (NumPy 1.x writes `numpy.core`).
/// * NumPy (protocol 5): `numpy._core.numeric._frombuffer(bytearray, dtype, shape, 'C'|'F')`.
/// * JAX (`jax.Array`, jax 0.4–0.10): `jax._src.array._reconstruct_array(fun, args,
///   arr_state, aval_state)`, the NumPy triple of the array's host copy plus `{'weak_type': …}`.
/// * dtypes: `numpy.dtype(code, False, True)` with BUILD `(3, '<'|'>'|'|', …)`; the
///   ml_dtypes types (`ml_dtypes.bfloat16`, `float8_e4m3fn`, `float8_e5m2`) appear as globals.
///
/// Containers: dicts, lists and tuples give key paths as for torch (`params.embed.embedding`);
/// Flax `FrozenDict` is transparent; named tuples (Optax states) and other objects are opaque
/// nodes whose arguments and state are searched for arrays (a named tuple's fields by
/// position: `opt_state.0.1.params…`).
extension PickleTreeReader {
    /// The ml_dtypes scalar types NumPy pickles by their global.
    static let mlDtypes: [String: DType] = [
        "ml_dtypes.bfloat16": .bfloat16, "ml_dtypes.float8_e4m3fn": .float8_e4m3fn,
        "ml_dtypes.float8_e5m2": .float8_e5m2,
        "ml_dtypes._ml_dtypes_ext.bfloat16": .bfloat16, "ml_dtypes._ml_dtypes_ext.float8_e4m3fn": .float8_e4m3fn,
        "ml_dtypes._ml_dtypes_ext.float8_e5m2": .float8_e5m2,
    ]

    /// A pickled `numpy.dtype(…)`: its element type and byte order, or nil when it is not
    /// one of the supported element types.
    static func numpyDType(_ d: PickleObject) -> (DType, ByteOrder)? {
        guard case .call(let c, let a) = d.kind, c.globalName == "numpy.dtype", let first = a.items.first else { return nil }
        var order = ByteOrder.little
        if let st = d.state, st.items.count > 1, case .string(">") = st.items[1].kind { order = .big }
        switch first.kind {
        case .string(let code):
            guard let (t, _) = try? NPYFormat.parseDescr(code, fail: { CheckpointError(path: "", $0) }) else { return nil }
            return (t, t.itemSize == 1 ? .little : order)
        case .global:
            guard let g = first.globalName, let t = mlDtypes[g] else { return nil }
            return (t, t.itemSize == 1 ? .little : order)
        default:
            return nil
        }
    }

    /// The raw bytes of a pickled `bytes`/`bytearray` (or protocol-2 `_codecs.encode(str, 'latin1')`).
    static func pickledBytes(_ b: PickleObject) -> [UInt8]? {
        switch b.kind {
        case .bytes(let x): return x
        case .call(let c, let a) where c.globalName == "_codecs.encode":
            guard case .string(let s)? = a.items.first?.kind else { return nil }
            var out: [UInt8] = []
            for u in s.unicodeScalars { guard u.value < 256 else { return nil }; out.append(UInt8(u.value)) }
            return out
        case .call(let c, let a) where c.globalName == "builtins.bytearray" || c.globalName == "builtins.bytes":
            // bytearray(b'…') in protocols below 5.
            guard let f = a.items.first else { return [] }
            return pickledBytes(f)
        default: return nil
        }
    }

    /// A tensor over `raw` (copied out of the pickle), after checking that the bytes hold
    /// exactly the elements the shape declares.
    func ndarrayTensor(key: String, dtype t: DType, order: ByteOrder, shape: [Int], fortran: Bool, raw: [UInt8]) throws -> Tensor {
        let name = key.isEmpty ? rootName : key
        var count = 1
        for d in shape {
            guard d >= 0 else { throw fail("'\(name)': negative numpy shape \(shape)") }
            let (c, o) = count.multipliedReportingOverflow(by: d)
            guard !o else { throw fail("'\(name)': absurd numpy shape \(shape)") }
            count = c
        }
        let (bytes, o) = count.multipliedReportingOverflow(by: t.itemSize)
        guard !o, bytes == raw.count else {
            throw fail("'\(name)': numpy array of shape \(shape) and dtype \(t.rawValue) needs \(o ? "too many" : String(bytes)) bytes but the pickle holds \(raw.count)")
        }
        let src = ByteSource(bytes: raw, path: path)
        return try Tensor(name: name, dtype: t, shape: shape,
                          strides: fortran ? Tensor.fortranStrides(shape) : Tensor.contiguousStrides(shape),
                          source: src, storageStart: 0, storageLength: raw.count, byteOrder: order)
    }

    /// The array of a NumPy `ndarray.__setstate__` tuple `(version, shape, dtype, is_fortran, data)`.
    func ndarrayFromState(_ st: PickleObject, key: String) throws -> Tensor? {
        guard case .tuple = st.kind, st.items.count == 5,
              let (t, order) = PickleTreeReader.numpyDType(st.items[2]),
              let raw = PickleTreeReader.pickledBytes(st.items[4]) else { return nil }
        let shape = try intTuple(st.items[1], what: "shape", name: key)
        var fortran = false
        if case .bool(let f) = st.items[3].kind { fortran = f }
        return try ndarrayTensor(key: key, dtype: t, order: order, shape: shape, fortran: fortran, raw: raw)
    }

    /// Recognises the pytree nodes of JAX, Flax and NumPy protocol 5; true when `o` was
    /// consumed (a tensor appended or its contents walked).
    mutating func pytreeCall(_ o: PickleObject, name: String, args: PickleObject, key: String,
                             depth: Int, scalars: Bool) throws -> Bool {
        let a = args.items
        switch name {
        case "numpy._core.numeric._frombuffer", "numpy.core.numeric._frombuffer":
            // _frombuffer(buffer, dtype, shape, order)
            guard a.count == 4, let raw = PickleTreeReader.pickledBytes(a[0]),
                  let (t, order) = PickleTreeReader.numpyDType(a[1]) else { return false }
            let shape = try intTuple(a[2], what: "shape", name: key)
            var fortran = false
            if case .string("F") = a[3].kind { fortran = true }
            tensors.append(try ndarrayTensor(key: key, dtype: t, order: order, shape: shape, fortran: fortran, raw: raw))
            return true
        case "jax._src.array._reconstruct_array":
            // _reconstruct_array(fun, args, arr_state, aval_state): fun(*args).__setstate__(arr_state).
            guard a.count >= 3, let fn = a[0].globalName, fn.hasPrefix("numpy"), fn.hasSuffix("multiarray._reconstruct"),
                  let t = try ndarrayFromState(a[2], key: key) else { return false }
            tensors.append(t)
            return true
        case "flax.core.frozen_dict.FrozenDict", "flax.core.FrozenDict":
            // FrozenDict.__reduce__ is (FrozenDict, (dict,)): the dict is the content.
            if let first = a.first { try walk(first, key: key, depth: depth + 1, scalars: scalars) }
            try walkPairsPublic(o.pairs, key: key, depth: depth, scalars: scalars)
            return true
        default:
            return false
        }
    }
}

/// Plain pickle streams that are not torch files: `pickle.dump` of a pytree of NumPy or JAX
/// arrays (any extension). Recognised by content: the PROTO opcode of protocol 2–5 and a
/// plausible first opcode; torch's legacy format (also a pickle stream) is tried first.
public enum PicklePytreeFormat: CheckpointFormat {
    public static let name = "pickle"

    /// Opcodes that can follow PROTO at the start of a pickle of a data structure.
    static let openers: Set<UInt8> = [
        0x95, 0x7D, 0x5D, 0x29, 0x28, 0x63, 0x8C, 0x58, 0x4E, 0x88, 0x89, 0x4B, 0x4A, 0x4D, 0x47,
        0x43, 0x42, 0x55, 0x54, 0x8A, 0x93, 0x8D, 0x8E, 0x96,
    ]

    public static func recognizes(_ source: ByteSource) -> Bool {
        guard source.count >= 4 else { return false }
        let b = source.all
        return b[0] == 0x80 && (2...5).contains(b[1]) && openers.contains(b[2])
    }

    static let joblibMessage = "a joblib dump (joblib.numpy_pickle.NumpyArrayWrapper: the array bytes are written between pickle opcodes) is not supported: load it with joblib.load and save it with pickle.dump or numpy.savez (docs/formats.md §14)"

    public static func read(_ source: ByteSource) throws -> Checkpoint {
        let path = source.path
        let root: PickleObject, objects: Int
        do {
            (root, _, objects) = try TorchPickle.unpickle(source.all, path: path, what: "pickle")
        } catch let e as CheckpointError {
            if mentionsJoblib(source) { throw CheckpointError(path: path, joblibMessage) }
            throw e
        }
        var r = PickleTreeReader(path: path, rootName: TorchPickle.stem(path)) { sid in
            throw CheckpointError(path: path, "pickle: persistent id for storage '\(sid.key)' outside a torch archive (a torch.save file with its archive stripped?)")
        }
        r.maxVisits = min(r.maxVisits, 16 * objects + 100_000)
        try r.walk(root)
        if r.opaque.contains(where: { $0.global.hasPrefix("joblib.numpy_pickle") }) {
            throw CheckpointError(path: path, joblibMessage)
        }
        return Checkpoint(format: name, path: path, tensors: r.tensors, metadata: r.metadata, opaque: r.opaque)
    }

    /// Whether the first 64 KiB name joblib's array wrapper.
    static func mentionsJoblib(_ source: ByteSource) -> Bool {
        let head = Array(source.all.prefix(65_536))
        let needle = Array("joblib.numpy_pickle".utf8)
        guard head.count >= needle.count else { return false }
        for i in 0...(head.count - needle.count) where head[i] == needle[0] {
            if Array(head[i..<(i + needle.count)]) == needle { return true }
        }
        return false
    }
}
