import Checkpoints
import Foundation
import Groups

/// What `--group` accepts (docs/groups-from-data.md §1): a name (`S5`, `C71`, `S3xC2`), a
/// Cayley table `table:FILE` (JSON list of lists, `.npy`, or a `.pt`/safetensors integer
/// tensor; 0-based, row a column b = index of a·b), or permutation generators `perm:FILE`
/// (JSON list of 0-based image lists, or cycle notation) / `perm:'(0 1 2 3 4),(0 1)'`.
public enum GroupSource {
    /// Whether `text` names a group given by data (`table:` or `perm:`).
    public static func isData(_ text: String) -> Bool { text.hasPrefix("table:") || text.hasPrefix("perm:") }

    /// Checks a name (data sources are checked when loaded, with the file named).
    public static func validate(_ text: String) throws {
        if !isData(text) { _ = try GroupSpec.parse(text) }
    }

    private static let cache = NSLock()
    nonisolated(unsafe) private static var loaded: [String: FiniteGroup] = [:]

    /// The group `text` describes; data sources are read and validated once per process.
    /// Errors name the file and what is wrong.
    public static func group(_ text: String) throws -> FiniteGroup {
        guard isData(text) else { return try FiniteGroup.named(text) }
        cache.lock()
        if let g = loaded[text] { cache.unlock(); return g }
        cache.unlock()
        let kind = try concrete(text)
        // The Dixon–Schneider table, computed (and cached) here so that a failure is an error
        // naming the source, not a trap later on.
        do { _ = try kind.characterTableProvider.characterTable() } catch let e as GroupError {
            throw GroupError("\(text): \(e.description)")
        }
        // A group isomorphic to a named one takes its labels (partitions for S_n, …).
        GroupIdentification.adoptNamedLabels(kind)
        let g = FiniteGroup(kind: kind)
        cache.lock(); loaded[text] = g; cache.unlock()
        return g
    }

    /// The character table `text` names and, for a group given by data, the named group it
    /// was identified as (`GroupIdentification.identify`), for `characters`.
    public static func characterTable(_ text: String) throws -> (table: CharacterTable, identifiedAs: String?) {
        guard isData(text) else { return (try GroupSpec.parse(text).characterTable(), nil) }
        let g = try group(text)
        return (g.characterTable, GroupIdentification.identify(g))
    }

    /// The concrete group of a `table:` or `perm:` source.
    public static func concrete(_ text: String) throws -> ConcreteGroup {
        if text.hasPrefix("table:") {
            let path = String(text.dropFirst("table:".count))
            let (entries, n) = try readTable(path)
            do { return try ConcreteGroup.fromTable(entries, n: n, name: text) } catch let e as GroupError {
                throw CheckpointError(path: path, e.description)
            }
        }
        let arg = String(text.dropFirst("perm:".count))
        let trimmed = arg.trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix("(") {
            return try ConcreteGroup.fromGenerators(Permutation.parseCycleGenerators(trimmed), name: text)
        }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: arg)) } catch {
            throw CheckpointError(path: arg, "cannot read the generators: \(error.localizedDescription)")
        }
        guard data.count <= 64 << 20 else { throw CheckpointError(path: arg, "\(data.count) bytes; a generator file is at most 64 MiB") }
        do {
            if let raw = try? JSONSerialization.jsonObject(with: data), let rows = raw as? [Any] {
                var gens: [[Int]] = []
                for (i, r) in rows.enumerated() {
                    guard let p = r as? [Any], let ints = p.map({ v -> Int? in
                        guard let x = v as? NSNumber, x.doubleValue == x.doubleValue.rounded(), abs(x.doubleValue) < 1e9 else { return nil }
                        return x.intValue
                    }) as? [Int] else {
                        throw GroupError("generator \(i + 1) is not a list of integers (0-based images)")
                    }
                    guard ints.count <= ConcreteGroup.maximumPoints else {
                        throw GroupError("generator \(i + 1) has \(ints.count) points; at most \(ConcreteGroup.maximumPoints) (2¹⁶)")
                    }
                    gens.append(ints)
                }
                guard !gens.isEmpty else { throw GroupError("no generators") }
                return try ConcreteGroup.fromGenerators(gens, name: text)
            }
            guard let s = String(data: data, encoding: .utf8) else {
                throw GroupError("neither JSON (a list of image lists) nor cycle notation")
            }
            return try ConcreteGroup.fromGenerators(Permutation.parseCycleGenerators(s), name: text)
        } catch let e as GroupError { throw CheckpointError(path: arg, e.description) }
    }

    /// A square table of element indices: JSON list of lists, or the only (or first
    /// two-dimensional integer) tensor of a checkpoint file.
    static func readTable(_ path: String) throws -> ([Int], Int) {
        let limit = ConcreteGroup.maximumTableOrder
        if path.lowercased().hasSuffix(".json") {
            let data: Data
            do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
                throw CheckpointError(path: path, "cannot read the table: \(error.localizedDescription)")
            }
            guard let raw = try? JSONSerialization.jsonObject(with: data), let rows = raw as? [Any] else {
                throw CheckpointError(path: path, "expected a JSON list of lists (row a, column b = index of a·b)")
            }
            let n = rows.count
            guard n >= 1 else { throw CheckpointError(path: path, "the table is empty") }
            guard n <= limit else { throw CheckpointError(path: path, "a table of order \(n) is above the limit of \(limit)") }
            var entries: [Int] = []
            entries.reserveCapacity(n * n)
            for (a, r) in rows.enumerated() {
                guard let row = r as? [Any] else { throw CheckpointError(path: path, "row \(a) is not a list") }
                guard row.count == n else { throw CheckpointError(path: path, "row \(a) has \(row.count) entries; the table has \(n) rows") }
                for (b, v) in row.enumerated() {
                    guard let x = v as? NSNumber, x.doubleValue == x.doubleValue.rounded(), abs(x.doubleValue) < 1e9 else {
                        throw CheckpointError(path: path, "row \(a), column \(b) is not an integer")
                    }
                    entries.append(x.intValue)
                }
            }
            return (entries, n)
        }
        let ck = try CheckpointLoader.load(path: path)
        let candidates = ck.tensors.filter { $0.rank == 2 && $0.shape[0] == $0.shape[1] && !$0.dtype.isFloatingPoint && !$0.dtype.isComplex }
        guard let t = candidates.first else {
            throw CheckpointError(path: path, "no square integer tensor (the Cayley table) among \(ck.tensors.map { "\($0.name) \($0.shape)" }.joined(separator: ", "))")
        }
        let n = t.shape[0]
        guard n >= 1, n <= limit else { throw CheckpointError(path: path, "tensor '\(t.name)': a table of order \(n); between 1 and \(limit) accepted") }
        let values = try t.doubleValues()
        return (values.map { $0.magnitude < 1e9 ? Int($0) : -1 }, n)
    }
}
