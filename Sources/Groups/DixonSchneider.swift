import Foundation

/// The character table of a group given by its elements, by Dixon–Schneider
/// (docs/theory.md §10, docs/groups-from-data.md §3):
///
/// 1. Classes are the orbits of conjugation by the generators; class 0 is the identity's,
///    the others ordered by element order, then size, then smallest element, and labelled as
///    GAP does ("1a", "2a", "2b", "3a", …).
/// 2. The class matrices (A_j)_{k,l} = #{x ∈ C_j : x⁻¹z_l ∈ C_k} (z_l a representative of
///    C_l) commute, and w = (ω_χ(K_l))_l with ω_χ(K_l) = |C_l| χ(g_l)/χ(1) satisfies
///    A_j w = ω_χ(K_j) w. Modulo a prime p ≡ 1 (mod exp G) with p > 2√|G| these eigenvalues
///    lie in F_p; the common eigenspaces are split one class matrix at a time (eigenvalues as
///    the roots of the characteristic polynomial of the restriction) until each is a line.
/// 3. χ(1)² ≡ |G| / Σ_l ω_l ω_{l*}/|C_l| (mod p) gives the degree (the unique d ≤ √|G| with
///    that square mod p), χ(g_l) ≡ d ω_l/|C_l|.
/// 4. Exact values: for g of order o and ζ ∈ F_p of order o (image of e^{2πi/o}), the
///    multiplicity of the eigenvalue e^{2πik/o} of ρ(g) is m_k ≡ (1/o) Σ_t χ(g^t) ζ^{−kt}, an
///    integer 0…χ(1); χ(g) = Σ_k m_k e^{2πik/o} exactly (`Cyclotomic`, printed as GAP does).
/// 5. Verified: the multiplicities are in range, both orthogonality relations hold, and the
///    indicators are in {−1, 0, 1}; otherwise a GroupError is thrown, never a wrong table.
public struct DixonSchneider: CharacterTableProvider {
    let kind: ConcreteGroup

    public var method: String { "Dixon–Schneider (class matrices modulo a prime, exact cyclotomic lifting)" }

    /// At most this many classes (the method is cubic in the number of classes).
    public static let maximumClasses = 1500

    /// Conjugacy classes, element orders and power maps of a group given by its elements.
    struct ClassData: Sendable {
        var classOf: [Int32]
        var members: [[Int]]
        var orders: [Int]
        var labels: [String]
        var exponent: Int
        /// powers[j][t] = class of g_j^t, t = 0 ..< orders[j].
        var powers: [[Int]]
        var inverseClass: [Int]
    }

    enum TableResult: Sendable { case table(CharacterTable), failure(String) }

    static func classData(_ g: ConcreteGroup) -> ClassData {
        g.storage.classCache.value(0) { computeClasses(g) }
    }

    public func characterTable() throws -> CharacterTable {
        if let t = kind.storage.labelled { return t }
        let r = kind.storage.tableCache.value(0) {
            do { return .table(try DixonSchneider.compute(kind)) } catch let e as GroupError { return .failure(e.description) } catch {
                return .failure("\(error)")
            }
        }
        switch r {
        case .table(let t): return t
        case .failure(let m): throw GroupError(m)
        }
    }

    static func computeClasses(_ g: ConcreteGroup) -> ClassData {
        let n = g.order
        let gens = g.generators.map { ($0, g.inverse($0)) }
        var orbit = [Int32](repeating: -1, count: n)
        var orbits: [[Int]] = []
        var stack: [Int] = []
        var buffer = g.makeBuffer()
        for start in [g.identity] + Array(0..<n) where orbit[start] < 0 {
            let id = Int32(orbits.count)
            orbit[start] = id
            var members = [start]
            stack.append(start)
            while let x = stack.popLast() {
                for (s, si) in gens {
                    let y = g.product3(s, x, si, buffer: &buffer)
                    if orbit[y] < 0 { orbit[y] = id; stack.append(y); members.append(y) }
                }
            }
            orbits.append(members.sorted())
        }
        let ord = orbits.map { g.elementOrder($0[0]) }
        // identity first, then by element order, size, smallest element
        let perm = (0..<orbits.count).sorted { a, b in
            if a == 0 || b == 0 { return a == 0 && b != 0 }
            if ord[a] != ord[b] { return ord[a] < ord[b] }
            if orbits[a].count != orbits[b].count { return orbits[a].count < orbits[b].count }
            return orbits[a][0] < orbits[b][0]
        }
        var newIndex = [Int32](repeating: 0, count: orbits.count)
        for (i, o) in perm.enumerated() { newIndex[o] = Int32(i) }
        let classOf = orbit.map { newIndex[Int($0)] }
        let members = perm.map { orbits[$0] }
        let orders = perm.map { ord[$0] }
        var labels: [String] = [], perOrder: [Int: Int] = [:]
        for o in orders {
            let k = perOrder[o, default: 0]
            perOrder[o] = k + 1
            labels.append("\(o)" + classLetters(k))
        }
        var e = 1
        for o in orders { e = e / gcd(e, o) * o }
        var powers: [[Int]] = []
        for (j, m) in members.enumerated() {
            let x = m[0]
            var p = [Int](), y = g.identity
            for _ in 0..<orders[j] { p.append(Int(classOf[y])); y = g.multiply(y, x) }
            powers.append(p)
        }
        let inverseClass = members.map { Int(classOf[g.inverse($0[0])]) }
        return ClassData(classOf: classOf, members: members, orders: orders, labels: labels, exponent: e,
                         powers: powers, inverseClass: inverseClass)
    }

    /// a, b, …, z, then aa, ab, … (GAP's class names).
    static func classLetters(_ k: Int) -> String {
        let a = Array("abcdefghijklmnopqrstuvwxyz")
        if k < 26 { return String(a[k]) }
        return classLetters(k / 26 - 1) + String(a[k % 26])
    }

    // MARK: - the table

    static func compute(_ g: ConcreteGroup) throws -> CharacterTable {
        let cd = classData(g)
        let r = cd.members.count, n = g.order
        guard r <= maximumClasses else {
            throw GroupError("\(g.name): \(r) conjugacy classes; the Dixon–Schneider route handles at most \(maximumClasses)")
        }
        let e = cd.exponent
        let p = try choosePrime(exponent: e, order: n)
        let F = PrimeField(p: p)
        let sizes = cd.members.map(\.count)

        // Class matrices on demand, smallest classes first.
        func classMatrix(_ j: Int) -> [Int] {
            var a = [Int](repeating: 0, count: r * r)
            var buffer = g.makeBuffer()
            let e = g.identity
            for l in 0..<r {
                let z = cd.members[l][0]
                for x in cd.members[j] { a[Int(cd.classOf[g.product3(g.inverse(x), z, e, buffer: &buffer)]) * r + l] += 1 }
            }
            return a.map { $0 % p }
        }
        var spaces: [[[Int]]] = [(0..<r).map { i in (0..<r).map { $0 == i ? 1 : 0 } }]
        let order = (1..<r).sorted { sizes[$0] != sizes[$1] ? sizes[$0] < sizes[$1] : $0 < $1 }
        for j in order {
            if spaces.allSatisfy({ $0.count == 1 }) { break }
            let a = classMatrix(j)
            var next: [[[Int]]] = []
            for v in spaces {
                if v.count == 1 { next.append(v); continue }
                next.append(contentsOf: try F.split(v, by: a, size: r))
            }
            spaces = next
        }
        guard spaces.count == r, spaces.allSatisfy({ $0.count == 1 }) else {
            throw GroupError("\(g.name): Dixon–Schneider did not split the class algebra into \(r) characters modulo \(p)")
        }
        let z = F.rootOfUnity(order: e)
        var rows: [(degree: Int, modp: [Int], exact: [Cyclotomic], values: [(Double, Double)], indicator: Int)] = []
        let maxDegree = Int(Double(n).squareRoot()) + 1
        for sp in spaces {
            let v = sp[0]
            guard v[0] != 0 else { throw GroupError("\(g.name): a common eigenvector vanishes at the identity class (mod \(p))") }
            let w = v.map { F.mul($0, F.inv(v[0])) }
            var s = 0
            for l in 0..<r { s = F.add(s, F.mul(F.mul(w[l], w[cd.inverseClass[l]]), F.inv(sizes[l] % p))) }
            guard s != 0 else { throw GroupError("\(g.name): a degree sum vanished modulo \(p)") }
            let d2 = F.mul(n % p, F.inv(s))
            guard let d = (1...maxDegree).first(where: { $0 * $0 % p == d2 }), n % d == 0 else {
                throw GroupError("\(g.name): no character degree fits χ(1)² ≡ \(d2) (mod \(p))")
            }
            let chi = (0..<r).map { F.mul(F.mul(w[$0], d % p), F.inv(sizes[$0] % p)) }
            var exact: [Cyclotomic] = [], values: [(Double, Double)] = []
            for l in 0..<r {
                let o = cd.orders[l]
                let zeta = F.pow(z, e / o)
                let oInv = F.inv(o % p)
                var coeffs = [Int](repeating: 0, count: o)
                var re = 0.0, im = 0.0
                for k in 0..<o {
                    var sum = 0
                    let step = F.pow(zeta, (o - k) % o)   // ζ^{−k}
                    var zt = 1
                    for t in 0..<o { sum = F.add(sum, F.mul(chi[cd.powers[l][t]], zt)); zt = F.mul(zt, step) }
                    let m = F.mul(sum, oInv)
                    guard m <= d else {
                        throw GroupError("\(g.name): an eigenvalue multiplicity \(m) exceeds the degree \(d) (mod \(p)); the table is not returned")
                    }
                    coeffs[k] = m
                    if m != 0 { let c = CyclicGroupTables.root(k, o); re += Double(m) * c.re; im += Double(m) * c.im }
                }
                let x = Cyclotomic(coefficients: coeffs, n: o)
                exact.append(x)
                if let v = x.integerValue { values.append((Double(v), 0)) } else { values.append((re, x.isReal ? 0 : im)) }
            }
            var nu = 0
            for l in 0..<r {
                let sq = cd.powers[l][2 % cd.orders[l]]
                nu = F.add(nu, F.mul(sizes[l] % p, chi[sq]))
            }
            nu = F.mul(nu, F.inv(n % p))
            let indicator = nu == 0 ? 0 : (nu == 1 ? 1 : (nu == p - 1 ? -1 : 2))
            guard indicator != 2 else { throw GroupError("\(g.name): a Frobenius–Schur indicator \(nu) (mod \(p)) is not −1, 0 or 1") }
            rows.append((d, chi, exact, values, indicator))
        }
        // trivial first, then by degree (stable)
        let trivial = rows.firstIndex { $0.degree == 1 && $0.modp.allSatisfy { $0 == 1 } }!
        var idx = Array(0..<r)
        idx.remove(at: trivial)
        idx.sort { rows[$0].degree != rows[$1].degree ? rows[$0].degree < rows[$1].degree : $0 < $1 }
        idx.insert(trivial, at: 0)
        // Keep complex-conjugate pairs adjacent.
        var ordered: [Int] = [], used = Set<Int>()
        for i in idx where !used.contains(i) {
            ordered.append(i); used.insert(i)
            let conj = (0..<r).map { rows[i].modp[cd.inverseClass[$0]] }
            if conj != rows[i].modp, let j = idx.first(where: { !used.contains($0) && rows[$0].modp == conj }) {
                ordered.append(j); used.insert(j)
            }
        }
        let sel = ordered.map { rows[$0] }
        try verify(sel.map(\.values), sizes: sizes, order: n, name: g.name)
        // The table.
        let allInteger = sel.allSatisfy { $0.exact.allSatisfy { $0.integerValue != nil } }
        var re: [Double] = [], im: [Double] = [], ints: [Int64] = [], sym: [Int: String] = [:]
        for (i, row) in sel.enumerated() {
            for l in 0..<r {
                re.append(row.values[l].0); im.append(row.values[l].1)
                if let v = row.exact[l].integerValue { ints.append(Int64(v)) } else { sym[i * r + l] = row.exact[l].gapString }
            }
        }
        let classes = (0..<r).map { l -> CharacterTable.ConjugacyClass in
            let x = cd.members[l][0]
            return CharacterTable.ConjugacyClass(
                label: cd.labels[l], size: BigUInt(sizes[l]), centralizer: BigUInt(n / sizes[l]),
                representative: g.isTable ? [] : g.permutation(x), cycleType: nil, tableElement: g.isTable ? x : nil)
        }
        let irreps = sel.enumerated().map { i, row in
            CharacterTable.Irrep(label: "X.\(i + 1)", degree: row.degree, indicator: row.indicator, partition: nil)
        }
        if allInteger {
            return CharacterTable(groupName: g.name, order: BigUInt(n), classes: classes, irreps: irreps, integerValues: ints)
        }
        return CharacterTable(groupName: g.name, order: BigUInt(n), classes: classes, irreps: irreps,
                              realParts: re, imagParts: im, symbolic: sym)
    }

    /// Both orthogonality relations, numerically (the values are exact cyclotomics; this
    /// guards the whole computation).
    static func verify(_ v: [[(Double, Double)]], sizes: [Int], order n: Int, name: String) throws {
        let r = sizes.count
        let tol = 1e-6 * Double(n)
        for a in 0..<r { for b in a..<r {
            var sr = 0.0, si = 0.0
            for l in 0..<r {
                let (x, y) = v[a][l], (u, w) = v[b][l]
                sr += Double(sizes[l]) * (x * u + y * w); si += Double(sizes[l]) * (y * u - x * w)
            }
            let want = a == b ? Double(n) : 0
            if abs(sr - want) > tol || abs(si) > tol {
                throw GroupError("\(name): the computed characters \(a + 1) and \(b + 1) fail the first orthogonality relation; the table is not returned")
            }
        } }
        for k in 0..<r { for l in k..<r {
            var sr = 0.0, si = 0.0
            for a in 0..<r {
                let (x, y) = v[a][k], (u, w) = v[a][l]
                sr += x * u + y * w; si += y * u - x * w
            }
            let want = k == l ? Double(n / sizes[k]) : 0
            if abs(sr - want) > tol || abs(si) > tol {
                throw GroupError("\(name): classes \(k + 1) and \(l + 1) fail the second orthogonality relation; the table is not returned")
            }
        } }
    }

    /// The smallest prime p ≡ 1 (mod e) with p > 2√|G| (so the degree is unique mod p).
    static func choosePrime(exponent e: Int, order n: Int) throws -> Int {
        let bound = 2 * (Int(Double(n).squareRoot()) + 1)
        var p = e + 1
        while p <= bound || !isPrime(p) {
            let (q, o) = p.addingReportingOverflow(e)
            guard !o, q < 1 << 31 else { throw GroupError("no prime p ≡ 1 (mod \(e)) below 2³¹ for Dixon–Schneider") }
            p = q
        }
        return p
    }

    static func isPrime(_ p: Int) -> Bool {
        if p < 2 { return false }
        var d = 2
        while d * d <= p { if p % d == 0 { return false }; d += 1 }
        return true
    }
}

/// Arithmetic and linear algebra modulo a prime p < 2³¹.
struct PrimeField {
    let p: Int
    @inline(__always) func add(_ a: Int, _ b: Int) -> Int { let s = a + b; return s >= p ? s - p : s }
    @inline(__always) func sub(_ a: Int, _ b: Int) -> Int { let s = a - b; return s < 0 ? s + p : s }
    @inline(__always) func mul(_ a: Int, _ b: Int) -> Int { a * b % p }
    func pow(_ a: Int, _ k: Int) -> Int {
        var r = 1, b = a % p, k = k
        while k > 0 { if k & 1 == 1 { r = mul(r, b) }; b = mul(b, b); k >>= 1 }
        return r
    }
    func inv(_ a: Int) -> Int { pow(a, p - 2) }

    /// An element of multiplicative order exactly `order` (which divides p − 1).
    func rootOfUnity(order: Int) -> Int {
        var m = p - 1, primes: [Int] = [], f = 2
        while f * f <= m { if m % f == 0 { primes.append(f); while m % f == 0 { m /= f } }; f += 1 }
        if m > 1 { primes.append(m) }
        var g = 2
        while primes.contains(where: { pow(g, (p - 1) / $0) == 1 }) { g += 1 }
        return pow(g, (p - 1) / order)
    }

    /// Rows in reduced row echelon form, with their pivot columns.
    func echelon(_ rows: [[Int]]) -> (rows: [[Int]], pivots: [Int]) {
        var m = rows, pivots: [Int] = []
        let cols = m.first?.count ?? 0
        var r = 0
        for c in 0..<cols where r < m.count {
            guard let pr = (r..<m.count).first(where: { m[$0][c] != 0 }) else { continue }
            m.swapAt(r, pr)
            let iv = inv(m[r][c])
            m[r] = m[r].map { mul($0, iv) }
            for i in 0..<m.count where i != r && m[i][c] != 0 {
                let f = m[i][c]
                for k in 0..<cols { m[i][k] = sub(m[i][k], mul(f, m[r][k])) }
            }
            pivots.append(c); r += 1
        }
        return (Array(m[0..<r]), pivots)
    }

    /// Splits the invariant subspace spanned by `basis` (rows) into the eigenspaces of the
    /// class matrix `a` (size × size, acting on column vectors).
    func split(_ basis: [[Int]], by a: [Int], size r: Int) throws -> [[[Int]]] {
        let (v, piv) = echelon(basis)
        let d = v.count
        // B[x][i] = coordinate x of A v_i
        var b = [[Int]](repeating: [Int](repeating: 0, count: d), count: d)
        for i in 0..<d {
            for (x, pc) in piv.enumerated() {
                var s = 0
                for k in 0..<r where v[i][k] != 0 { s = add(s, mul(a[pc * r + k], v[i][k])) }
                b[x][i] = s
            }
        }
        let cp = charpoly(b)
        var roots: [Int] = []
        for lam in 0..<p {
            var h = 0
            for c in cp.reversed() { h = add(mul(h, lam), c) }
            if h == 0 { roots.append(lam); if roots.count == d { break } }
        }
        if roots.count <= 1 {
            guard roots.count == 1 else { throw GroupError("a class matrix has no eigenvalue modulo \(p)") }
            return [v]
        }
        var out: [[[Int]]] = []
        var total = 0
        for lam in roots {
            var m = b
            for i in 0..<d { m[i][i] = sub(m[i][i], lam) }
            let ns = nullspace(m)
            total += ns.count
            out.append(ns.map { c in
                var u = [Int](repeating: 0, count: r)
                for (i, ci) in c.enumerated() where ci != 0 { for k in 0..<r { u[k] = add(u[k], mul(ci, v[i][k])) } }
                return u
            })
        }
        guard total == d else { throw GroupError("a class matrix is not diagonalizable modulo \(p)") }
        return out
    }

    /// Basis of {c : M c = 0}.
    func nullspace(_ m: [[Int]]) -> [[Int]] {
        let d = m.first?.count ?? 0
        let (rows, piv) = echelon(m)
        let free = (0..<d).filter { !piv.contains($0) }
        return free.map { f in
            var c = [Int](repeating: 0, count: d)
            c[f] = 1
            for (i, pc) in piv.enumerated() { c[pc] = sub(0, rows[i][f]) }
            return c
        }
    }

    /// Characteristic polynomial det(xI − M), coefficients low to high, via Hessenberg form.
    func charpoly(_ m0: [[Int]]) -> [Int] {
        var h = m0
        let d = h.count
        if d == 0 { return [1] }
        for c in 0..<max(0, d - 2) {
            guard let pr = ((c + 1)..<d).first(where: { h[$0][c] != 0 }) else { continue }
            if pr != c + 1 {
                h.swapAt(pr, c + 1)
                for i in 0..<d { h[i].swapAt(pr, c + 1) }
            }
            let iv = inv(h[c + 1][c])
            for i in (c + 2)..<d where h[i][c] != 0 {
                let u = mul(h[i][c], iv)
                for k in 0..<d { h[i][k] = sub(h[i][k], mul(u, h[c + 1][k])) }
                for k in 0..<d { h[k][c + 1] = add(h[k][c + 1], mul(u, h[k][i])) }
            }
        }
        var polys: [[Int]] = [[1]]
        for m in 1...d {
            // (x − h[m−1][m−1]) · p_{m−1}
            let prev = polys[m - 1]
            var q = [Int](repeating: 0, count: m + 1)
            for (i, c) in prev.enumerated() { q[i + 1] = add(q[i + 1], c); q[i] = sub(q[i], mul(h[m - 1][m - 1], c)) }
            var t = 1
            for i in 1..<m {
                t = mul(t, h[m - i][m - i - 1])
                let f = mul(t, h[m - i - 1][m - 1])
                if f == 0 { if t == 0 { break }; continue }
                for (k, c) in polys[m - i - 1].enumerated() { q[k] = sub(q[k], mul(f, c)) }
            }
            polys.append(q)
        }
        return polys[d]
    }
}
