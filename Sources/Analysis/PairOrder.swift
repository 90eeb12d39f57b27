import Foundation

extension PairList {
    /// The pairs of a file written in the checkpoint's row order (the trainer's token ids) as
    /// element indices: row r holds the element e with `rowOfElement[e] = r`
    /// (docs/attribution.md §8).
    public func elements(rowOfElement: [Int]) -> PairList {
        var elementOfRow = [Int32](repeating: 0, count: rowOfElement.count)
        for (e, r) in rowOfElement.enumerated() { elementOfRow[r] = Int32(e) }
        return PairList(flat: values.map { elementOfRow[Int($0)] })
    }
}

extension AnalysisRequest {
    /// The request with its `--pairs` (given as rows of the checkpoint) turned into element
    /// indices when the rows are in another order than the group's (`--elements`, a stored
    /// order, `--elements table:FILE` or `infer`); unchanged otherwise.
    func pairsInElementOrder(rowOfElement: [Int]?) -> AnalysisRequest {
        guard let rowOfElement, let pairs = attribution?.pairs else { return self }
        var r = self
        r.attribution?.pairs = pairs.elements(rowOfElement: rowOfElement)
        return r
    }
}
