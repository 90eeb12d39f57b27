import Foundation
import Testing
@testable import Groups

let explicitGroupNames: [String] = (1...6).map { "S\($0)" } + (2...7).map { "A\($0)" } + (3...12).map { "D\($0)" } + (1...20).map { "C\($0)" }
    + ["D1", "D2", "S3xC2", "C3xC4", "D4xC3", "S3xS3", "C2xC2xC2", "A4xC2", "A5xC3"]

func maxDifference(_ a: RepresentationMatrix, _ b: RepresentationMatrix) -> Double {
    var m = 0.0
    for i in 0..<a.real.count {
        m = max(m, abs(a.real[i] - b.real[i]))
        m = max(m, abs((a.imaginary?[i] ?? 0) - (b.imaginary?[i] ?? 0)))
    }
    return m
}

@Suite("Explicit irreps") struct RepresentationTests {
    @Test("homomorphism ρ(gh) = ρ(g)ρ(h) on random pairs, unitarity, tr ρ(g) = χ(g)")
    func homomorphism() {
        var rng = SeededGenerator(seed: 5)
        for name in explicitGroupNames {
            let g = group(name), t = g.characterTable, o = g.order
            #expect(g.hasExplicitIrreps)
            for i in 0..<t.irrepCount {
                for _ in 0..<6 {
                    let a = Int.random(in: 0..<o, using: &rng), b = Int.random(in: 0..<o, using: &rng)
                    let ra = g.irrepMatrix(i, a)!, rb = g.irrepMatrix(i, b)!, rab = g.irrepMatrix(i, g.multiply(a, b))!
                    #expect(maxDifference(ra.multiplied(by: rb), rab) < 1e-10, "\(name) \(t.irreps[i].label)")
                    let tr = ra.trace, ch = t.value(i, g.classOf(a))
                    #expect(abs(tr.re - ch.re) < 1e-10 && abs(tr.im - ch.im) < 1e-10, "\(name) trace")
                    // ρ(a)ρ(a⁻¹) = 1 and ρ(a⁻¹) = ρ(a)^† (unitary)
                    let rinv = g.irrepMatrix(i, g.inverse(a))!
                    #expect(maxDifference(ra.multiplied(by: rinv), .identity(ra.dimension)) < 1e-10)
                    let d = ra.dimension
                    for r in 0..<d { for c in 0..<d {
                        #expect(abs(rinv.real[r * d + c] - ra.real[c * d + r]) < 1e-10)
                        #expect(abs((rinv.imaginary?[r * d + c] ?? 0) + (ra.imaginary?[c * d + r] ?? 0)) < 1e-10)
                    } }
                }
            }
            // real components: real orthogonal matrices that multiply correctly
            for c in 0..<t.realComponents.count {
                let a = Int.random(in: 0..<o, using: &rng), b = Int.random(in: 0..<o, using: &rng)
                let D = t.realComponents[c].degree
                let ma = g.realComponentMatrix(c, a)!, mb = g.realComponentMatrix(c, b)!, mab = g.realComponentMatrix(c, g.multiply(a, b))!
                #expect(ma.count == D * D)
                let prod = RepresentationMatrix(dimension: D, real: ma).multiplied(by: RepresentationMatrix(dimension: D, real: mb))
                #expect(maxDifference(prod, RepresentationMatrix(dimension: D, real: mab)) < 1e-10)
            }
        }
    }

    @Test("Schur orthogonality of matrix coefficients")
    func schur() {
        for name in ["S4", "D5", "D6", "C6", "S3xC2", "C3xC4", "A4", "A5"] {
            let g = group(name), t = g.characterTable, o = g.order
            let mats = (0..<t.irrepCount).map { i in (0..<o).map { g.irrepMatrix(i, $0)! } }
            for i in 0..<t.irrepCount { for j in 0..<t.irrepCount {
                let di = mats[i][0].dimension, dj = mats[j][0].dimension
                for a in 0..<(di * di) { for b in 0..<(dj * dj) {
                    var re = 0.0, im = 0.0
                    for x in 0..<o {
                        let p = mats[i][x], q = mats[j][x]
                        let pr = p.real[a], pi = p.imaginary?[a] ?? 0, qr = q.real[b], qi = q.imaginary?[b] ?? 0
                        re += pr * qr + pi * qi; im += pi * qr - pr * qi
                    }
                    let expected = (i == j && a == b) ? Double(o) / Double(di) : 0
                    #expect(abs(re - expected) < 1e-9 && abs(im) < 1e-9, "\(name) \(i),\(j) entries \(a),\(b)")
                } }
            } }
        }
    }

    @Test("Young's orthogonal form: symmetric orthogonal generators and the Coxeter relations")
    func coxeter() {
        for n in 2...6 {
            for lambda in Partition.all(n) {
                let y = YoungOrthogonalForm(lambda)
                #expect(y.degree == lambda.degree!)
                let d = y.degree
                let gens = (0..<(n - 1)).map { RepresentationMatrix(dimension: d, real: y.generator($0)) }
                let one = RepresentationMatrix.identity(d)
                for i in 0..<(n - 1) {
                    let s = gens[i]
                    for r in 0..<d { for c in 0..<d { #expect(s.real[r * d + c] == s.real[c * d + r]) } }
                    #expect(maxDifference(s.multiplied(by: s), one) < 1e-12)
                    for j in (i + 1)..<(n - 1) {
                        let st = s.multiplied(by: gens[j])
                        let power = j == i + 1 ? st.multiplied(by: st).multiplied(by: st) : st.multiplied(by: st)
                        #expect(maxDifference(power, one) < 1e-12, "\(lambda) s\(i) s\(j)")
                    }
                }
            }
        }
        // [n] is trivial, [1ⁿ] the sign
        let s4 = group("S4")
        for a in 0..<24 {
            #expect(s4.irrepMatrix(0, a)!.real == [1])
            #expect(s4.irrepMatrix(4, a)!.real == [Double(Permutation.sign(s4.permutation(a)))])
        }
    }
}
