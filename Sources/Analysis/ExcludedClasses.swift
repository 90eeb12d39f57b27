import Groups

extension Attribution {
    /// The classes of G on which every component's real character T_ρ takes one value, bit for
    /// bit (docs/attribution.md §9): for a group that is not cyclic, its conjugacy classes, merged
    /// with their inverses where the stored values agree.
    ///
    /// An excluded logit of a pair of label g is x_c − v(g·c⁻¹) with v a combination of the T_ρ
    /// (docs/attribution.md §5), so v is constant on these classes of h = g·c⁻¹, and each of the
    /// pair's K + 1 excluded log-sum-exps needs only the R sums Σ_{c : g·c⁻¹ ∈ class} e^{x_c − max x}.
    /// The forward pass takes these sums as it writes each block of logits (`LogitPass`) and keeps
    /// |G|²·R numbers instead of the |G|³ logits.
    struct ExcludedClasses: Sendable {
        /// R, the number of classes.
        let count: Int
        /// `classOfQuotient[g·n + c]`: the class of g·c⁻¹.
        let classOfQuotient: [Int32]
        /// One element of each class.
        let representative: [Int]

        /// Bytes the pass keeps for a group of order n: the R sums, the shift and the own loss
        /// of every pair.
        static func keptBytes(order n: Int, classes r: Int) -> Int { n * n * (r + 2) * 8 }

        /// nil for a cyclic group (its classes are single elements: the logits are kept instead)
        /// and whenever there are more than |G|/2 classes (keeping the sums would save little).
        init?(group: FiniteGroup) {
            guard !group.isCyclic else { return nil }
            let n = group.order
            guard n >= 2 else { return nil }
            let T = Attribution.characters(group, cyclic: false).values
            // Classes by the bit patterns of the column (T_ρ(h))_ρ.
            var index: [[UInt64]: Int32] = [:]
            var classOf = [Int32](repeating: 0, count: n)
            var representative: [Int] = []
            for h in 0..<n {
                let key = T.map { $0[h].bitPattern }
                if let k = index[key] {
                    classOf[h] = k
                } else {
                    let k = Int32(representative.count)
                    index[key] = k
                    classOf[h] = k
                    representative.append(h)
                }
            }
            guard representative.count * 2 <= n else { return nil }
            let table = group.multiplicationTable
            let inv = group.inverses
            var quotient = [Int32](repeating: 0, count: n * n)
            for g in 0..<n { for c in 0..<n { quotient[g * n + c] = classOf[Int(table[g, Int(inv[c])])] } }
            count = representative.count
            classOfQuotient = quotient
            self.representative = representative
        }
    }
}
