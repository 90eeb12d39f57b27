/// NumPy `.npz` archives: a zip of `.npy` members (`savez` stores them, `savez_compressed`
/// deflates them). Stored members are read in place; of a deflated one only the header is
/// inflated when the file is opened, and its data (no more than the shape needs) when values
/// are first asked for (docs/formats.md §13).
/// Tensor names are the member names without `.npy`.
public enum NPZFormat: CheckpointFormat {
    public static let name = "npz"

    public static func recognizes(_ source: ByteSource) -> Bool {
        guard ZipArchive.looksLikeZip(source), let zip = try? ZipArchive(source) else { return false }
        return !zip.entries.isEmpty && zip.entries.allSatisfy { $0.name.hasSuffix(".npy") }
    }

    public static func read(_ source: ByteSource) throws -> Checkpoint {
        let zip = try ZipArchive(source)
        var tensors: [Tensor] = []
        for e in zip.entries {
            guard e.name.hasSuffix(".npy") else {
                throw CheckpointError(path: source.path, "npz: member '\(e.name)' is not a .npy array")
            }
            let name = String(e.name.dropLast(4))
            if e.method == 0 {
                let (s, range) = try zip.contents(of: e)
                tensors.append(try NPYFormat.readArray(s, name: name, start: range.lowerBound, length: range.count))
                continue
            }
            let (head, headRange) = try zip.lazyContents(of: e, prefix: 12 + NPYFormat.maxHeaderBytes)
            let h = try NPYFormat.header(head, name: name, start: headRange.lowerBound, length: e.uncompressedSize)
            let (data, _) = try zip.lazyContents(of: e, prefix: h.dataStart + h.dataBytes)
            tensors.append(try Tensor(name: name, dtype: h.dtype, shape: h.shape,
                                      strides: h.fortran ? Tensor.fortranStrides(h.shape) : Tensor.contiguousStrides(h.shape),
                                      offset: 0, source: data, storageStart: h.dataStart,
                                      storageLength: h.dataBytes, byteOrder: h.byteOrder))
        }
        return Checkpoint(format: name, path: source.path, tensors: tensors)
    }
}
