/// The neuron nonlinearity σ of docs/theory.md §1. All are homogeneous: f(λθ, x) = λ^ν f(θ, x).
public enum Activation: Sendable, Equatable, CustomStringConvertible {
    /// σ(x) = x² (ν = 3 for the group networks).
    case quadratic
    /// σ(x) = max(x, 0) (ν = 2).
    case relu
    /// σ(x) = x^k (ν = k + 1); the sparse-parity networks use k = the parity order.
    case power(Int)

    /// Degree of σ's homogeneity.
    public var degree: Int {
        switch self {
        case .quadratic: return 2
        case .relu: return 1
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
        }
    }

    /// Parses `quadratic`, `relu`, `x^k` / `power:k`.
    public init?(name: String) {
        let s = name.lowercased()
        switch s {
        case "quadratic", "x^2", "square": self = .quadratic
        case "relu": self = .relu
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
        }
    }
}
