import Checkpoints
import Foundation
import Groups

/// A trainer's element order: the group element of each weight row, read from a JSON list of
/// permutations (THEORY.md §6).
public enum ElementOrder {
    /// Reads a JSON list of permutations, `[[0,1,2],[1,0,2],…]`, one per row in the trainer's
    /// row order. Points are 0-based unless no entry contains 0 (then 1-based).
    public static func readPermutations(_ path: String) throws -> (perms: [[Int]], oneBased: Bool) {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw CheckpointError(path: path, "cannot read the element list: \(error.localizedDescription)")
        }
        guard let raw = try? JSONSerialization.jsonObject(with: data), let rows = raw as? [Any] else {
            throw CheckpointError(path: path, "expected a JSON list of permutations (lists of integers), e.g. [[0,1,2],[1,0,2],…]")
        }
        var perms: [[Int]] = []
        perms.reserveCapacity(rows.count)
        for (i, r) in rows.enumerated() {
            guard let p = r as? [Any], let ints = p.map({ ($0 as? NSNumber)?.intValue }) as? [Int] else {
                throw CheckpointError(path: path, "entry \(i) is not a list of integers")
            }
            perms.append(ints)
        }
        let oneBased = !perms.isEmpty && !perms.contains { $0.contains(0) }
        return (perms, oneBased)
    }

    /// The element of each row: `elementOfRow[row]`, for a list read from `path`.
    public static func elementOfRow(path: String, group: FiniteGroup) throws -> [Int] {
        let rows = try readPermutations(path)
        do { return try group.reorder(byPermutations: rows.perms, oneBased: rows.oneBased) } catch let e as GroupError {
            throw CheckpointError(path: path, e.description)
        }
    }

    /// The file row of each element (`rowOfElement[g]`), from the request's element order;
    /// nil when the rows are in the group's default order.
    static func rowOfElement(_ request: AnalysisRequest, group g: FiniteGroup) throws -> [Int]? {
        guard let perms = request.elementOrder else { return nil }
        let elementOfRow = try g.reorder(byPermutations: perms, oneBased: request.elementOrderOneBased)
        var inverse = [Int](repeating: 0, count: g.order)
        for (r, e) in elementOfRow.enumerated() { inverse[e] = r }
        return inverse
    }
}
