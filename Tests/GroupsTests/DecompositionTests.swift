import Foundation
import Testing
import Fourier
@testable import Groups

/// Component powers of each row of a row-major batch.
func batchPowers(_ rows: [Double], _ g: FiniteGroup, _ method: IsotypicDecomposition.Method,
                 elements: [Int]? = nil, includeTrivial: Bool = true) -> PowerTable {
    let n = rows.count / g.order
    return rows.withUnsafeBufferPointer { b in
        IsotypicDecomposition.powers(NeuronMatrix(base: b.baseAddress!, neurons: n, length: g.order, neuronStride: g.order, sampleStride: 1),
                                     group: g, sampleElements: elements, includeTrivial: includeTrivial, method: method).table
    }
}

@Suite("Isotypic decomposition") struct DecompositionTests {
    @Test("Plancherel: powers sum to ‖f‖², and the character and matrix routes agree")
    func plancherelAndRoutes() {
        var rng = SeededGenerator(seed: 17)
        for name in elementGroupNames {
            let g = group(name), o = g.order
            let neurons = 5
            let rows = randomVector(neurons * o, &rng)
            let byChars = batchPowers(rows, g, .characters)
            for j in 0..<neurons {
                let norm = rows[(j * o)..<((j + 1) * o)].reduce(0) { $0 + $1 * $1 }
                let p = byChars.powers(ofNeuron: j)
                #expect(approxEqual(p.reduce(0, +), norm, 1e-10), "\(name) Plancherel")
                #expect(p.allSatisfy { $0 >= -1e-12 })
            }
            if g.hasExplicitIrreps {
                let byMatrices = batchPowers(rows, g, .matrices)
                for i in 0..<byChars.powers.count {
                    #expect(abs(byChars.powers[i] - byMatrices.powers[i]) < 1e-10 * Double(o), "\(name) routes")
                }
            }
        }
    }

    @Test("S_4 known answers (docs/theory.md §7): δ_e, fixed points, inversion count")
    func s4KnownAnswers() {
        let g = group("S4")
        for method in IsotypicDecomposition.Method.allCases {
            var delta = [Double](repeating: 0, count: 24); delta[0] = 1
            let pd = IsotypicDecomposition.powers(of: delta, group: g, method: method)
            let expected = [1.0, 9, 4, 9, 1].map { $0 / 24 }
            for i in 0..<5 { #expect(abs(pd[i] - expected[i]) < 1e-12) }
            let fixed = g.permutations.map { p in Double((0..<4).filter { p[$0] == $0 }.count) }
            let pf = IsotypicDecomposition.powers(of: fixed, group: g, method: method)
            let nf = fixed.reduce(0) { $0 + $1 * $1 }
            #expect(abs(pf[0] / nf - 0.5) < 1e-12 && abs(pf[1] / nf - 0.5) < 1e-12)
            let inversions = g.permutations.map { p in Double((0..<4).flatMap { i in (i..<4).filter { p[i] > p[$0] } }.count) }
            let pi = IsotypicDecomposition.powers(of: inversions, group: g, method: method)
            let ni = inversions.reduce(0) { $0 + $1 * $1 }
            #expect(abs(pi[0] / ni - 54.0 / 67) < 1e-12)
            #expect(abs(pi[1] / ni - 0.186567) < 1e-6)
            #expect(abs(pi[2] / ni) < 1e-12)
            #expect(abs(pi[3] / ni - 0.007463) < 1e-6)
            #expect(abs(pi[4] / ni) < 1e-12)
        }
    }

    @Test("δ_e has fraction d_ρ²/|G| on every irrep (summed over a real component)")
    func deltaEverywhere() {
        for name in elementGroupNames {
            let g = group(name), t = g.characterTable
            var delta = [Double](repeating: 0, count: g.order); delta[0] = 1
            let p = IsotypicDecomposition.powers(of: delta, group: g)
            for (c, comp) in t.realComponents.enumerated() {
                let expected = Double(comp.irreps.count * comp.complexDegree * comp.complexDegree) / Double(g.order)
                #expect(abs(p[c] - expected) < 1e-12, "\(name) \(comp.label)")
            }
        }
    }

    @Test("a character and a single matrix coefficient lie in one component")
    func pureComponents() {
        for name in ["S4", "S5", "D5", "D6", "C9", "S3xC2", "A4", "A5", "C3xC4"] {
            let g = group(name), t = g.characterTable
            for (c, comp) in t.realComponents.enumerated() {
                let i = comp.irreps[0]
                // real part of the character, a real function on G
                let f = (0..<g.order).map { t.real(i, g.classOf($0)) }
                let p = IsotypicDecomposition.powers(of: f, group: g)
                let total = p.reduce(0, +)
                #expect(abs(p[c] / total - 1) < 1e-10, "\(name) character \(comp.label)")
                if g.hasExplicitIrreps {
                    let D = comp.degree
                    for entry in [0, D * D - 1] {
                        let h = (0..<g.order).map { g.realComponentMatrix(c, $0)![entry] }
                        for method in IsotypicDecomposition.Method.allCases {
                            let q = IsotypicDecomposition.powers(of: h, group: g, method: method)
                            #expect(abs(q[c] / q.reduce(0, +) - 1) < 1e-10, "\(name) coefficient \(comp.label)")
                        }
                    }
                }
            }
        }
    }

    @Test("the inverse transform recovers f: f(g) = (1/|G|) Σ_ρ d_ρ tr(ρ(g⁻¹) f̂(ρ))")
    func inverseTransform() {
        var rng = SeededGenerator(seed: 23)
        for name in ["S4", "D5", "C7", "S3xC2", "C3xC4", "A4", "A5"] {
            let g = group(name), t = g.characterTable, o = g.order
            let f = randomVector(o, &rng)
            var hats: [RepresentationMatrix] = []
            for i in 0..<t.irrepCount {
                let d = t.irreps[i].degree
                var acc = RepresentationMatrix(dimension: d, real: [Double](repeating: 0, count: d * d), imaginary: [Double](repeating: 0, count: d * d))
                for x in 0..<o {
                    let m = g.irrepMatrix(i, x)!
                    for e in 0..<(d * d) { acc.real[e] += f[x] * m.real[e]; acc.imaginary![e] += f[x] * (m.imaginary?[e] ?? 0) }
                }
                hats.append(acc)
            }
            for x in 0..<o {
                var s = 0.0
                for i in 0..<t.irrepCount {
                    s += Double(t.irreps[i].degree) * g.irrepMatrix(i, g.inverse(x))!.multiplied(by: hats[i]).trace.re
                }
                #expect(abs(s / Double(o) - f[x]) < 1e-10, "\(name) element \(x)")
            }
        }
    }

    @Test("C_n: the decomposition equals the FFT spectrum bin for bin")
    func cyclicMatchesFFT() {
        var rng = SeededGenerator(seed: 29)
        for n in Array(2...20) + [71, 97] {
            let g = group("C\(n)")
            let neurons = 6
            let rows = randomVector(neurons * n, &rng)
            let spectra = FourierSpectra.compute(rows: rows, neurons: neurons, p: n)
            let fft: PowerTable = spectra.table!
            for method in IsotypicDecomposition.Method.allCases {
                let table = batchPowers(rows, g, method, includeTrivial: false)
                #expect(table.componentCount == fft.componentCount)
                for j in 0..<neurons {
                    let a = table.summary(ofNeuron: j), b = spectra.summary(ofNeuron: j)
                    #expect(a.dominant == b.dominant, "C\(n)")
                    for k in 0..<table.componentCount {
                        #expect(abs(a.shares![k] - b.shares![k]) < 1e-10, "C\(n) bin \(k)")
                        // Plancherel vs Parseval scaling: FFT bins are |G| times the power
                        let plancherel: Double = table.powers[j * table.componentCount + k] * Double(n)
                        let parseval: Double = fft.powers[j * fft.componentCount + k]
                        #expect(abs(plancherel - parseval) < 1e-9 * Double(n))
                    }
                }
            }
        }
    }

    @Test("a permuted row order gives the same powers once mapped by reorder; Float input works")
    func rowOrder() throws {
        var rng = SeededGenerator(seed: 31)
        let g = group("D5")
        let f = randomVector(10, &rng)
        let shuffle = Array(0..<10).shuffled(using: &rng)
        // trainer's row r holds element shuffle[r]
        let rowsTrainer = shuffle.map { f[$0] }
        let elements = try g.reorder(byPermutations: shuffle.map { g.permutation($0) }, oneBased: false)
        let a = batchPowers(f, g, .characters), b = batchPowers(rowsTrainer, g, .matrices, elements: elements)
        for i in 0..<a.powers.count { #expect(abs(a.powers[i] - b.powers[i]) < 1e-12) }
        let floats = f.map(Float.init)
        let t = floats.withUnsafeBufferPointer { buf in
            IsotypicDecomposition.powers(NeuronMatrix(base: buf.baseAddress!, neurons: 1, length: 10, neuronStride: 10, sampleStride: 1), group: g).table
        }
        for i in 0..<a.powers.count { #expect(abs(t.powers[i] - a.powers[i]) < 1e-5) }
    }
}
