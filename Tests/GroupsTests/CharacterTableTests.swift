import Foundation
import Testing
@testable import Groups

@Suite("Character tables") struct CharacterTableTests {
    @Test("p(n) counts the irreps and the classes of S_n")
    func partitionCounts() throws {
        let p = [1, 2, 3, 5, 7, 11, 15, 22, 30, 42, 56, 77, 101, 135, 176, 231, 297, 385, 490, 627]
        for n in 1...20 {
            #expect(Partition.all(n).count == p[n - 1])
            #expect(Partition.count(n) == p[n - 1])
        }
        #expect(Partition.count(30) == 5604)
        let t = try SymmetricCharacters.characterTable(n: 12)
        #expect(t.irrepCount == 77 && t.classCount == 77)
    }

    @Test("largest S_n degrees by the hook length formula")
    func largestDegrees() {
        func largest(_ n: Int) -> (Int, Partition) {
            Partition.all(n).map { ($0.degree!, $0) }.max { $0.0 < $1.0 }!
        }
        #expect(largest(10).0 == 768 && largest(10).1 == Partition([4, 3, 2, 1]))
        #expect(largest(15).0 == 292864)
        #expect(largest(20).0 == 249420600)
    }

    @Test("S_n tables: orthogonality, Σ d² = n!, degrees = hook formula, n = 1…10")
    func symmetricOrthogonality() throws {
        for n in 1...10 {
            let t = try SymmetricCharacters.characterTable(n: n)
            let k = t.irrepCount
            let order = Int(BigUInt.factorial(n))
            #expect(t.irreps[0].label == "[\(n)]")
            #expect(t.classes[0].cycleType == Array(repeating: 1, count: n))
            var sumSq = 0
            for i in 0..<k {
                #expect(t.irreps[i].degree == Partition(t.irreps[i].partition!).degree)
                sumSq += t.irreps[i].degree * t.irreps[i].degree
                for j in i..<k {
                    var s = 0
                    for c in 0..<k { s += t.classes[c].sizeInt * Int(t.integerValue(i, c)! * t.integerValue(j, c)!) }
                    #expect(s == (i == j ? order : 0), "rows \(i), \(j) of S\(n)")
                }
            }
            #expect(sumSq == order)
            for c in 0..<k {
                for d in c..<k {
                    var s = 0
                    for i in 0..<k { s += Int(t.integerValue(i, c)! * t.integerValue(i, d)!) }
                    #expect(s == (c == d ? t.classes[c].centralizerInt : 0))
                }
            }
        }
    }

    @Test("S_20: column orthogonality in checked Int64, Σ d² = 20! exactly")
    func symmetric20() throws {
        let t = try SymmetricCharacters.characterTable(n: 20)
        let k = t.irrepCount
        #expect(k == 627)
        var sum = BigUInt(0)
        for i in 0..<k { let d = BigUInt(t.irreps[i].degree); sum += d * d }
        #expect(sum == BigUInt.factorial(20))
        for c in stride(from: 0, to: k, by: 7) {
            var s: Int64 = 0
            for i in 0..<k {
                let v = t.integerValue(i, c)!
                let (sq, o1) = v.multipliedReportingOverflow(by: v)
                let (r, o2) = s.addingReportingOverflow(sq)
                #expect(!o1 && !o2)
                s = r
            }
            #expect(BigUInt(Int(s)) == t.classes[c].centralizer)
            let other = (c + 1) % k
            var x: Int64 = 0
            for i in 0..<k { x += t.integerValue(i, c)! * t.integerValue(i, other)! }
            #expect(x == 0)
        }
        #expect(throws: GroupError.self) { _ = try SymmetricCharacters.table(n: 36) }
    }

    @Test("published table of S_5")
    func pinnedS5() throws {
        let t = try SymmetricCharacters.characterTable(n: 5)
        #expect(t.classes.map(\.label) == ["(1,1,1,1,1)", "(2,1,1,1)", "(2,2,1)", "(3,1,1)", "(3,2)", "(4,1)", "(5)"])
        #expect(t.classes.map(\.sizeInt) == [1, 10, 15, 20, 20, 30, 24])
        let expected: [(String, [Int64])] = [
            ("[5]", [1, 1, 1, 1, 1, 1, 1]),
            ("[4,1]", [4, 2, 0, 1, -1, 0, -1]),
            ("[3,2]", [5, 1, 1, -1, 1, -1, 0]),
            ("[3,1,1]", [6, 0, -2, 0, 0, 0, 1]),
            ("[2,2,1]", [5, -1, 1, -1, -1, 1, 0]),
            ("[2,1,1,1]", [4, -2, 0, 1, 1, 0, -1]),
            ("[1,1,1,1,1]", [1, -1, 1, 1, -1, -1, 1]),
        ]
        for (i, (label, row)) in expected.enumerated() {
            #expect(t.irreps[i].label == label)
            #expect((0..<7).map { t.integerValue(i, $0)! } == row, "row \(label)")
        }
    }

    @Test("S_14 values pinned from GAP 4.12 (CharacterTable(\"Symmetric\", 14); the whole table was compared once)")
    func pinnedGAP() throws {
        let t = try SymmetricCharacters.characterTable(n: 14)
        func value(_ lambda: [Int], _ mu: [Int]) -> Int64 {
            let i = t.irreps.firstIndex { $0.partition! == lambda }!, c = t.classes.firstIndex { $0.cycleType! == mu }!
            return t.integerValue(i, c)!
        }
        #expect(value([5, 4, 3, 2], [3, 3, 3, 3, 2]) == -12)
        #expect(value([7, 7], [2, 2, 2, 2, 2, 2, 2]) == -35)
        #expect(value([4, 4, 3, 2, 1], Array(repeating: 1, count: 14)) == 48048)
        #expect(value([6, 3, 2, 2, 1], [5, 4, 3, 1, 1]) == 2)
        #expect(value([3, 3, 3, 3, 2], [13, 1]) == 0)
    }

    @Test("published table of A_5 (golden ratio)")
    func pinnedA5() throws {
        let t = try AlternatingCharacters.characterTable(n: 5)
        #expect(t.classes.map(\.label) == ["(1,1,1,1,1)", "(2,2,1)", "(3,1,1)", "(5)+", "(5)-"])
        #expect(t.classes.map(\.sizeInt) == [1, 15, 20, 12, 12])
        let phi = (1 + 5.0.squareRoot()) / 2, psi = (1 - 5.0.squareRoot()) / 2
        let rows: [[Double]] = [[1, 1, 1, 1, 1], [4, 0, 1, -1, -1], [5, 1, -1, 0, 0], [3, -1, 0, phi, psi], [3, -1, 0, psi, phi]]
        #expect(t.irreps.map(\.label) == ["[5]", "[4,1]", "[3,2]", "[3,1,1]+", "[3,1,1]-"])
        for i in 0..<5 { for c in 0..<5 { #expect(approxEqual(t.real(i, c), rows[i][c], 1e-14)) } }
        #expect(t.exactForm(3, 3) == "(1+√5)/2" && t.exactForm(3, 4) == "(1-√5)/2")
        #expect(t.irreps.allSatisfy { $0.indicator == 1 })
    }

    @Test("published table of D_4")
    func pinnedD4() {
        let t = group("D4").characterTable
        #expect(t.classes.map(\.label) == ["r^0", "r^1", "r^2", "s", "sr"])
        #expect(t.classes.map(\.sizeInt) == [1, 2, 1, 2, 2])
        let rows: [[Int64]] = [[1, 1, 1, 1, 1], [1, 1, 1, -1, -1], [1, -1, 1, 1, -1], [1, -1, 1, -1, 1], [2, 0, -2, 0, 0]]
        #expect(t.irreps.map(\.label) == ["A1", "A2", "B1", "B2", "E1"])
        for i in 0..<5 { #expect((0..<5).map { t.integerValue(i, $0)! } == rows[i]) }
    }

    @Test("A_4 has a complex pair merged into one real component")
    func a4Components() {
        let t = group("A4").characterTable
        #expect(t.irreps.map(\.indicator) == [1, 1, 0, 0])
        #expect(t.realComponents.map(\.label) == ["[4]", "[3,1]", "[2,2]±"])
        #expect(t.realComponents.map(\.degree) == [1, 3, 2])
        let c = group("C7").characterTable
        #expect(c.realComponents.map(\.label) == ["k0", "k1", "k2", "k3"])
        #expect(c.realComponents.map(\.degree) == [1, 2, 2, 2])
    }

    @Test("every group: Σ d² = |G|, row and column orthogonality, class sizes, element classes")
    func orthogonalityEverywhere() {
        for name in elementGroupNames {
            let g = group(name), t = g.characterTable
            let o = g.order, k = t.irrepCount
            #expect(k == t.classCount, "\(name)")
            #expect(t.irreps.reduce(0) { $0 + $1.degree * $1.degree } == o, "\(name)")
            #expect(t.classes.reduce(0) { $0 + $1.sizeInt } == o)
            var counts = [Int](repeating: 0, count: k)
            for a in 0..<o { counts[g.classOf(a)] += 1 }
            #expect(counts == t.classes.map(\.sizeInt), "\(name) element classes")
            #expect(g.classOf(g.identity) == 0)
            for i in 0..<k {
                #expect(approxEqual(t.real(i, 0), Double(t.irreps[i].degree)))
                for j in 0..<k {
                    var re = 0.0, im = 0.0
                    for c in 0..<k {
                        let x = t.value(i, c), y = t.value(j, c), s = Double(t.classes[c].sizeInt)
                        re += s * (x.re * y.re + x.im * y.im); im += s * (x.im * y.re - x.re * y.im)
                    }
                    #expect(approxEqual(re / Double(o), i == j ? 1 : 0, 1e-9) && abs(im) < 1e-9 * Double(o), "\(name) rows \(i),\(j)")
                }
            }
            for c in 0..<k { for d in 0..<k {
                var re = 0.0
                for i in 0..<k { let x = t.value(i, c), y = t.value(i, d); re += x.re * y.re + x.im * y.im }
                #expect(approxEqual(re, c == d ? Double(t.classes[c].centralizerInt) : 0, 1e-9), "\(name) columns \(c),\(d)")
            } }
        }
    }

    @Test("characters are class functions of the elements: χ * χ = (|G|/d) χ, indicators from χ(g²)")
    func convolutionAndIndicators() {
        var rng = SeededGenerator(seed: 7)
        for name in elementGroupNames {
            let g = group(name), t = g.characterTable, o = g.order
            let hs = (0..<min(o, 12)).map { _ in Int.random(in: 0..<o, using: &rng) }
            for i in 0..<t.irrepCount {
                let d = Double(t.irreps[i].degree)
                var ind = 0.0
                for x in 0..<o { ind += t.real(i, g.classOf(g.multiply(x, x))) }
                #expect(approxEqual(ind / Double(o), Double(t.irreps[i].indicator), 1e-9), "\(name) indicator of \(t.irreps[i].label)")
                for h in hs {
                    var re = 0.0, im = 0.0
                    for x in 0..<o {
                        let a = t.value(i, g.classOf(x)), b = t.value(i, g.classOf(g.multiply(g.inverse(x), h)))
                        re += a.re * b.re - a.im * b.im; im += a.re * b.im + a.im * b.re
                    }
                    let target = t.value(i, g.classOf(h))
                    #expect(approxEqual(re, Double(o) / d * target.re, 1e-9) && approxEqual(im, Double(o) / d * target.im, 1e-9),
                            "\(name) χ*χ for \(t.irreps[i].label)")
                }
            }
        }
    }

    @Test("structure-only tables agree with element tables; S_n labels by partition order")
    func structureTables() throws {
        let t = try GroupSpec.parse("S4").characterTable()
        #expect(t.irreps.map(\.label) == ["[4]", "[3,1]", "[2,2]", "[2,1,1]", "[1,1,1,1]"])
        let a = try GroupSpec.parse("S3xC2").characterTable(), b = group("S3xC2").characterTable
        #expect(a.irreps.map(\.label) == b.irreps.map(\.label))
        #expect(a.values == b.values)
    }
}
