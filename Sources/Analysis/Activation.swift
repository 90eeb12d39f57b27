import Foundation

/// The neuron nonlinearity σ of docs/theory.md §1. All but the GELUs are homogeneous:
/// f(λθ, x) = λ^ν f(θ, x). The GELUs are those of transformers (docs/networks.md §6); a network
/// using one is never of the paper's form.
public enum Activation: Sendable, Equatable, CustomStringConvertible {
    /// σ(x) = x² (ν = 3 for the group networks).
    case quadratic
    /// σ(x) = max(x, 0) (ν = 2).
    case relu
    /// σ(x) = x^k (ν = k + 1); the sparse-parity networks use k = the parity order.
    case power(Int)
    /// GELU, exact: x·Φ(x) = x/2·(1 + erf(x/√2)) (torch `F.gelu`, TransformerLens `gelu`).
    case gelu
    /// GELU, tanh approximation: x/2·(1 + tanh(√(2/π)(x + 0.044715x³))) (TransformerLens
    /// `gelu_new`, `gelu_fast`; torch `approximate="tanh"`).
    case geluTanh

    /// Whether σ is homogeneous (the GELUs are not).
    public var isHomogeneous: Bool { self != .gelu && self != .geluTanh }

    /// Degree of σ's homogeneity (for the GELUs 1, their degree as x → ±∞, used only to print
    /// a norm: they are not homogeneous).
    public var degree: Int {
        switch self {
        case .quadratic: return 2
        case .relu, .gelu, .geluTanh: return 1
        case .power(let k): return k
        }
    }

    /// Homogeneity ν of the whole network (σ's degree plus one for the output layer).
    public var nu: Int { degree + 1 }

    @inline(__always) public func apply(_ x: Double) -> Double {
        switch self {
        case .quadratic: return x * x
        case .relu: return x > 0 ? x : 0
        case .power(let k):
            var r = 1.0
            for _ in 0..<k { r *= x }
            return r
        case .gelu: return 0.5 * x * (1 + Foundation.erf(x * 0.7071067811865476))
        case .geluTanh:
            let inner: Double = 0.7978845608028654 * (x + 0.044715 * x * x * x)
            return 0.5 * x * (1 + Foundation.tanh(inner))
        }
    }

    /// out[j] = σ(x[j] + y[j]) for j < count, or σ((x[j] + y[j]) + bias[j]) with `bias`: the
    /// values of `apply` element by element, with the choice of σ made once for the whole row.
    @inline(__always) func applySums(_ x: UnsafePointer<Double>, _ y: UnsafePointer<Double>, bias: UnsafePointer<Double>?,
                                     into out: UnsafeMutablePointer<Double>, count: Int) {
        switch (self, bias) {
        case (.relu, nil):
            for j in 0..<count { let s = x[j] + y[j]; out[j] = s > 0 ? s : 0 }
        case (.relu, let beta?):
            for j in 0..<count { let s = x[j] + y[j] + beta[j]; out[j] = s > 0 ? s : 0 }
        case (.quadratic, nil):
            for j in 0..<count { let s = x[j] + y[j]; out[j] = s * s }
        case (.quadratic, let beta?):
            for j in 0..<count { let s = x[j] + y[j] + beta[j]; out[j] = s * s }
        case (_, nil):
            for j in 0..<count { out[j] = apply(x[j] + y[j]) }
        case (_, let beta?):
            for j in 0..<count { out[j] = apply(x[j] + y[j] + beta[j]) }
        }
    }

    /// Parses `quadratic`, `relu`, `x^k` / `power:k`, `gelu` (exact), `gelu_new` / `gelu_tanh` /
    /// `gelu_fast` (tanh approximation).
    public init?(name: String) {
        let s = name.lowercased()
        switch s {
        case "quadratic", "x^2", "square": self = .quadratic
        case "relu": self = .relu
        case "gelu": self = .gelu
        case "gelu_new", "gelu_tanh", "gelu_fast", "gelu_pytorch_tanh": self = .geluTanh
        default:
            let digits = s.hasPrefix("x^") ? s.dropFirst(2) : (s.hasPrefix("power:") ? s.dropFirst(6) : "")
            guard let k = Int(digits), k >= 1 else { return nil }
            self = k == 2 ? .quadratic : .power(k)
        }
    }

    public var description: String {
        switch self {
        case .quadratic: return "quadratic"
        case .relu: return "relu"
        case .power(let k): return "x^\(k)"
        case .gelu: return "gelu"
        case .geluTanh: return "gelu_new"
        }
    }
}
