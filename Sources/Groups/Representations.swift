import Foundation

/// A d × d representation matrix, row-major; `imaginary` is nil for a real matrix.
public struct RepresentationMatrix: Sendable, Equatable {
    public let dimension: Int
    public var real: [Double]
    public var imaginary: [Double]?

    public init(dimension: Int, real: [Double], imaginary: [Double]? = nil) {
        self.dimension = dimension; self.real = real; self.imaginary = imaginary
    }

    public static func identity(_ d: Int) -> RepresentationMatrix {
        var m = [Double](repeating: 0, count: d * d)
        for i in 0..<d { m[i * d + i] = 1 }
        return RepresentationMatrix(dimension: d, real: m)
    }

    /// Matrix product self · other.
    public func multiplied(by o: RepresentationMatrix) -> RepresentationMatrix {
        let d = dimension
        var re = [Double](repeating: 0, count: d * d)
        var im: [Double]? = (imaginary != nil || o.imaginary != nil) ? re : nil
        for i in 0..<d { for k in 0..<d {
            let ar = real[i * d + k], ai = imaginary?[i * d + k] ?? 0
            for j in 0..<d {
                let br = o.real[k * d + j], bi = o.imaginary?[k * d + j] ?? 0
                re[i * d + j] += ar * br - ai * bi
                if im != nil { im![i * d + j] += ar * bi + ai * br }
            }
        } }
        return RepresentationMatrix(dimension: d, real: re, imaginary: im)
    }

    /// Kronecker product self ⊗ other.
    public func kronecker(_ o: RepresentationMatrix) -> RepresentationMatrix {
        let a = dimension, b = o.dimension, d = a * b
        var re = [Double](repeating: 0, count: d * d)
        var im: [Double]? = (imaginary != nil || o.imaginary != nil) ? re : nil
        for i in 0..<a { for j in 0..<a {
            let xr = real[i * a + j], xi = imaginary?[i * a + j] ?? 0
            for k in 0..<b { for l in 0..<b {
                let yr = o.real[k * b + l], yi = o.imaginary?[k * b + l] ?? 0
                let idx = (i * b + k) * d + (j * b + l)
                re[idx] = xr * yr - xi * yi
                if im != nil { im![idx] = xr * yi + xi * yr }
            } }
        } }
        return RepresentationMatrix(dimension: d, real: re, imaginary: im)
    }

    /// Trace (real, imaginary).
    public var trace: (re: Double, im: Double) {
        var r = 0.0, i = 0.0
        for k in 0..<dimension { r += real[k * dimension + k]; i += imaginary?[k * dimension + k] ?? 0 }
        return (r, i)
    }

    /// The realification [[A, −B], [B, A]] of A + iB (real orthogonal when unitary).
    public var realified: [Double] {
        guard let im = imaginary else { return real }
        let d = dimension, D = 2 * d
        var m = [Double](repeating: 0, count: D * D)
        for i in 0..<d { for j in 0..<d {
            m[i * D + j] = real[i * d + j]; m[i * D + d + j] = -im[i * d + j]
            m[(d + i) * D + j] = im[i * d + j]; m[(d + i) * D + d + j] = real[i * d + j]
        } }
        return m
    }
}

extension FiniteGroup {
    /// Whether the group's kind has explicit matrices for every irrep (`GroupKind.explicitIrreps`):
    /// S_n by Young's orthogonal form, A_n by its restriction (self-conjugate λ split by the
    /// transpose intertwiner), D_n and C_n in closed form, products by Kronecker products when
    /// both factors have them. A kind without them (a group known only by its characters)
    /// answers false, and the isotypic decomposition then uses characters and says so.
    public var hasExplicitIrreps: Bool { kind.explicitIrreps != nil }

    /// How the explicit irreps are made, or nil when the kind has none.
    public var explicitIrrepConstruction: String? { kind.explicitIrreps?.construction }

    /// The unitary matrix ρ(g) of complex irrep `irrep` (character-table order), or nil
    /// where no explicit form is implemented (`hasExplicitIrreps` false). Real-type irreps
    /// come as real orthogonal matrices: Young's orthogonal form (S_n, docs/theory.md §6),
    /// rotation/reflection matrices (D_n); C_n's irreps are the 1 × 1 matrices e^{2πika/n}.
    /// Products: the Kronecker product of the factors' matrices. ρ(gh) = ρ(g)ρ(h), right to left.
    public func irrepMatrix(_ irrep: Int, _ g: Int) -> RepresentationMatrix? {
        kind.explicitIrreps?.irrepMatrix(irrep, g, in: self)
    }

    /// A real orthogonal matrix of real component `component` at g, row-major D × D with
    /// D = component.degree: the irrep's own matrix for real type, the realification
    /// [[A, −B], [B, A]] of its first member otherwise (for C_n: the rotation by 2πka/n).
    /// Nil when the kind has no explicit irreps.
    public func realComponentMatrix(_ component: Int, _ g: Int) -> [Double]? {
        let c = characterTable.realComponents[component]
        guard let m = irrepMatrix(c.irreps[0], g) else { return nil }
        if c.type == .real {
            return m.real
        }
        var complex = m
        if complex.imaginary == nil { complex.imaginary = [Double](repeating: 0, count: m.real.count) }
        return complex.realified
    }
}
