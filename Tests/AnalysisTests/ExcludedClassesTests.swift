import Foundation
import Testing
@testable import Analysis
import Groups

/// The excluded losses of a group that is not cyclic taken from the pass's class sums
/// (`Attribution.ExcludedClasses`, `LogitPass.StreamedSums`) instead of the kept |G|³ logits.
@Suite struct ExcludedClassesTests {
    /// The classes on which every real character takes one value are the real conjugacy classes
    /// (a class merged with its inverse's): their number equals the number of real irreducible
    /// components (Frobenius–Schur), which for S_n is the number of partitions of n. Known
    /// counts: S_4 5, S_5 7, A_4 3 (the 3-cycles' two classes are each other's inverses), A_5 5
    /// (its two classes of 5-cycles are self-inverse), D_5 4, D_6 6, S_3 × S_3 9, and S_3 × C_3 6
    /// (3 × 3 classes, those with a non-trivial C_3 part merged with their inverses in pairs).
    @Test(arguments: [("S4", 5), ("S5", 7), ("A4", 3), ("A5", 5), ("D6", 6), ("D5", 4), ("S3xS3", 9), ("S3xC3", 6)])
    func classCounts(name: String, expected: Int) throws {
        let g = try FiniteGroup.named(name)
        let classes = try #require(Attribution.ExcludedClasses(group: g))
        #expect(classes.count == expected)
        #expect(classes.count == Attribution.characters(g, cyclic: false).values.count)
        let n = g.order
        // classOfQuotient[g·n + c] is the class of g·c⁻¹; the representatives are in distinct classes.
        let table = g.multiplicationTable, inv = g.inverses
        let e = g.identity
        let classOfElement = (0..<n).map { classes.classOfQuotient[$0 * n + e] }   // h·e⁻¹ = h
        for x in 0..<n { for c in 0..<n {
            #expect(classes.classOfQuotient[x * n + c] == classOfElement[Int(table[x, Int(inv[c])])])
        } }
        #expect(Set(classes.representative.map { classOfElement[$0] }).count == classes.count)
        // Conjugates share a class.
        for h in 0..<n { for x in 0..<n {
            let conjugate = Int(table[Int(table[x, h]), Int(inv[x])])
            #expect(classOfElement[conjugate] == classOfElement[h])
        } }
    }

    /// Abelian groups (single-element classes, more than |G|/2 of them) keep the logits.
    @Test(arguments: ["C12", "C2xC2", "C3xC3"])
    func abelianGroupsKeepTheLogits(name: String) throws {
        #expect(Attribution.ExcludedClasses(group: try FiniteGroup.named(name)) == nil)
    }

    /// The attribution from a pass that streamed the class sums against the one that keeps the
    /// logits, with a subset of pairs, on random networks scaled so that some pairs' logits (and
    /// some components' excluded logits) span more than 300 and take the direct route; the
    /// pass's margins, label sums and norm are the same bits either way.
    @Test(arguments: ["S4", "D6", "A4", "S3xC3", "S5"])
    func streamedSumsMatchTheKeptLogits(name: String) throws {
        let g = try FiniteGroup.named(name)
        let n = g.order
        let classes = try #require(Attribution.ExcludedClasses(group: g))
        let labelling = Labelling(group: g, composition: .rightToLeft, bothConventions: true)
        for (activation, scale) in [(Activation.relu, 1.0), (.quadratic, 1.0), (.relu, 400.0)] {
            let (net, wide) = AttributionIdentities.scaledNetwork(n, width: 9, activation: activation, seed: 23, scale: scale)
            #expect(scale == 1 ? wide == 0 : wide > 0, "\(name) ×\(scale): \(wide) pairs span more than 300")
            var o = AttributionOptions()
            o.pairs = PairList((0..<(n * n / 3)).map { ($0 % n, ($0 * 7) % n) })
            let streamedPass = LogitPass.run(network: net, labels: labelling.labels, sets: labelling.sets, activations: false,
                                             threads: 2, classes: classes)
            let keptPass = LogitPass.run(network: net, labels: labelling.labels, sets: labelling.sets, activations: false, threads: 2)
            #expect(streamedPass.centered.isEmpty && streamedPass.streamed != nil && keptPass.streamed == nil)
            #expect(streamedPass.evaluation.map(\.margin.bitPattern) == keptPass.evaluation.map(\.margin.bitPattern))
            #expect(streamedPass.evaluation.map(\.accuracy) == keptPass.evaluation.map(\.accuracy))
            #expect(streamedPass.labelSums == keptPass.labelSums && streamedPass.normSquared == keptPass.normSquared)
            #expect((streamedPass.streamed?.directRows.count ?? -1) == wide)
            let streamed = Attribution.compute(network: net, group: g, composition: .rightToLeft, options: o, threads: 2,
                                               pass: streamedPass)!
            let kept = Attribution.compute(network: net, group: g, composition: .rightToLeft, options: o, threads: 2,
                                           pass: keptPass)!
            func close(_ a: Double?, _ b: Double?) -> Bool {
                guard let a, let b else { return a == nil && b == nil }
                return abs(a - b) <= 1e-12 * max(1, abs(b))
            }
            let label = "\(name) \(activation) ×\(scale)"
            #expect(streamed.loss == kept.loss, "\(label)")
            #expect(close(streamed.excludedLoss, kept.excludedLoss) && streamed.restrictedLoss == kept.restrictedLoss, "\(label)")
            #expect(streamed.onPairs?.loss == kept.onPairs?.loss, "\(label)")
            #expect(close(streamed.onPairs?.excludedLoss, kept.onPairs?.excludedLoss), "\(label)")
            #expect(streamed.keyComponents == kept.keyComponents)
            for (x, y) in zip(streamed.components, kept.components) {
                #expect(x.logitSimilarity == y.logitSimilarity && x.restrictedLoss == y.restrictedLoss, "\(label) \(x.component)")
                #expect(close(x.excludedLoss, y.excludedLoss) && close(x.excludedLossOnPairs, y.excludedLossOnPairs),
                        "\(label) \(x.component): \(x.excludedLoss) vs \(y.excludedLoss)")
            }
            // The same bits on one thread or three.
            for threads in [1, 3] {
                let other = LogitPass.run(network: net, labels: labelling.labels, sets: labelling.sets, activations: false,
                                          threads: threads, classes: classes)
                #expect(other.streamed!.classSums == streamedPass.streamed!.classSums)
                #expect(other.streamed!.ownLoss == streamedPass.streamed!.ownLoss)
            }
        }
    }
}
