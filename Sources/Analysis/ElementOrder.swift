import Checkpoints
import Foundation
import Groups

/// A trainer's element order: the group element of each weight row, read from a JSON list of
/// permutations (docs/theory.md §6).
public enum ElementOrder {
    /// Reads a JSON list of permutations, `[[0,1,2],[1,0,2],…]`, one per row in the trainer's
    /// row order. Points are 0-based unless no entry contains 0 (then 1-based).
    public static func readPermutations(_ path: String) throws -> (perms: [[Int]], oneBased: Bool) {
        let data: Data
        if let why = ByteSource.unreadableReason(path: path) { throw CheckpointError(path: path, why) }
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

    /// A trainer's element order stored in the checkpoint: metadata `elements.i.j` (row i's
    /// permutation, point j), as data/'s checkpoints and trainers that save their element list
    /// hold it. Nil when there is none or it is not a list of |G| permutations.
    public static func stored(in ck: Checkpoint, order: Int) -> (perms: [[Int]], key: String)? {
        var rows: [Int: [Int: Int]] = [:]
        var prefix: String?
        for (k, v) in ck.metadata {
            let parts = k.split(separator: ".")
            guard parts.count >= 3, parts[parts.count - 3] == "elements", let i = Int(parts[parts.count - 2]),
                  let j = Int(parts[parts.count - 1]), case .int(let x) = v, i >= 0, j >= 0, i < order else { continue }
            let p = parts.dropLast(2).joined(separator: ".")
            if prefix == nil { prefix = p }
            guard p == prefix else { continue }
            guard let xi = Int(exactly: x) else { continue }
            rows[i, default: [:]][j] = xi
        }
        guard let prefix, rows.count == order else { return nil }
        var perms: [[Int]] = []
        for i in 0..<order {
            guard let r = rows[i], r.count <= 64, let points = (0..<r.count).map({ r[$0] }) as? [Int] else { return nil }
            perms.append(points)
        }
        return (perms, prefix)
    }

    /// The file row of each element (`rowOfElement[g]`): from the request's element order, else
    /// from one stored in the checkpoint (`stored`); nil when the rows are in the group's
    /// default order. `source` says where a non-default order came from.
    static func rowOfElement(_ request: AnalysisRequest, group g: FiniteGroup, checkpoint: Checkpoint) throws
        -> (rowOfElement: [Int]?, source: String?) {
        if let table = request.elementTable {
            return (try tableRowOfElement(table, group: g), "the multiplication table \(table.dropFirst("table:".count)) (--elements table:FILE; its products are a·b right-to-left in the order found)")
        }
        var perms = request.elementOrder, oneBased = request.elementOrderOneBased, source: String? = nil
        if perms == nil, let s = stored(in: checkpoint, order: g.order) {
            let values = s.perms.flatMap { $0 }
            let ob = !values.isEmpty && !values.contains(0)
            if let elementOfRow = try? g.reorder(byPermutations: s.perms, oneBased: ob) {
                if elementOfRow == Array(0..<g.order) {
                    request.note?("\(checkpoint.path): the element order stored in its metadata '\(s.key)' is \(g.name)'s default order")
                    return (nil, nil)
                }
                perms = s.perms; oneBased = ob
                source = "the checkpoint's metadata '\(s.key)'"
                request.note?("\(checkpoint.path): using the element order stored in its metadata '\(s.key)' (pass --elements to override)")
            }
        }
        guard let perms else { return (nil, nil) }
        let elementOfRow = try g.reorder(byPermutations: perms, oneBased: oneBased)
        var inverse = [Int](repeating: 0, count: g.order)
        for (r, e) in elementOfRow.enumerated() { inverse[e] = r }
        return (inverse, source ?? "--elements")
    }
}

extension ElementOrder {
    /// `--elements table:FILE` (docs/groups-from-data.md §4): the trainer's Cayley table over its
    /// own row order (the same file formats as `--group table:FILE`) and an isomorphism of it
    /// onto `g` (`GroupIdentification.isomorphism`) give `rowOfElement[g]`. An isomorphism φ
    /// with φ(T[a][b]) = φ(a)·φ(b) makes the table's products the right-to-left products of
    /// `g`; a table written in the other convention is the opposite group's, isomorphic to `g`
    /// too (by inversion), so one isomorphism always serves and the labels follow it. The
    /// order is unique up to an automorphism of `g` (inner automorphisms fix every irrep).
    public static func tableRowOfElement(_ source: String, group g: FiniteGroup) throws -> [Int] {
        let path = String(source.dropFirst("table:".count))
        let table = try GroupSource.concrete(source)
        guard table.order == g.order else {
            throw CheckpointError(path: path, "--elements: the table has \(table.order) rows, but \(g.name) has order \(g.order)")
        }
        guard let phi = GroupIdentification.isomorphism(from: table, to: g) else {
            throw CheckpointError(path: path, "--elements: the table is a group table, but of a group not isomorphic to \(g.name)")
        }
        var rowOfElement = [Int](repeating: 0, count: g.order)
        for (row, e) in phi.enumerated() { rowOfElement[e] = row }
        return rowOfElement
    }

    /// `--elements infer` (docs/groups-from-data.md §4): the network's predictions
    /// argmax_c f(a, b)[c] over all pairs of file rows form the trainer's Cayley table when
    /// the network is at 100% accuracy; an isomorphism of that table onto `g`
    /// (`GroupIdentification.isomorphism`) gives the element of each row. Returns
    /// `rowOfElement[g]`. Throws, naming the first pairs that break the group axioms, when
    /// the predictions are not a group table (the network is then below 100% accuracy).
    /// `network` holds the weights in file-row order.
    public static func inferredRowOfElement(network: any GroupTaskNetwork, group g: FiniteGroup, path: String) throws -> [Int] {
        let n = g.order
        var pred = [Int](repeating: 0, count: n * n)
        for a in 0..<n {
            let l = network.logits(rows: a..<(a + 1))
            for b in 0..<n {
                var best = 0, bv = -Double.infinity
                for c in 0..<n where l[b * n + c] > bv { bv = l[b * n + c]; best = c }
                pred[a * n + b] = best
            }
        }
        let table: ConcreteGroup
        do { table = try ConcreteGroup.fromTable(pred, n: n, name: "predictions") } catch let e as GroupError {
            let why = e.description.replacingOccurrences(of: "predictions: ", with: "")
            throw CheckpointError(path: path, "--elements infer: the network's predictions on all \(n)² pairs do not form a group table, so its accuracy is below 100% whatever the element order: \(why) (row a, column b = the predicted a·b); give the trainer's order with --elements FILE")
        }
        guard let phi = GroupIdentification.isomorphism(from: table, to: g) else {
            throw CheckpointError(path: path, "--elements infer: the network's predictions form a group table, but of a group not isomorphic to \(g.name)")
        }
        var rowOfElement = [Int](repeating: 0, count: n)
        for (row, e) in phi.enumerated() { rowOfElement[e] = row }
        return rowOfElement
    }
}

extension AnalysisRequest {
    /// What `--elements SPEC` asks for (docs/conventions.md, docs/groups-from-data.md §4): `infer`
    /// (the network's own predictions), `table:FILE` (the trainer's multiplication table) or a
    /// JSON file of permutations, 0- or 1-based, giving the element of each row.
    public mutating func setElementOrder(_ spec: String) throws {
        if spec == "infer" {
            inferElementOrder = true
        } else if spec.hasPrefix("table:") {
            elementTable = spec
        } else {
            let rows = try ElementOrder.readPermutations(spec)
            elementOrder = rows.perms
            elementOrderOneBased = rows.oneBased
        }
    }
}
