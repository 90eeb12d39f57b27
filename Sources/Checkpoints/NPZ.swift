/// NumPy `.npz` archives: a zip of `.npy` members (`savez` stores them, `savez_compressed`
/// deflates them). Stored members are read in place; deflated ones are inflated once.
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
            let (s, range) = try zip.contents(of: e)
            let name = String(e.name.dropLast(4))
            tensors.append(try NPYFormat.readArray(s, name: name, start: range.lowerBound, length: range.count))
        }
        return Checkpoint(format: name, path: source.path, tensors: tensors)
    }
}
