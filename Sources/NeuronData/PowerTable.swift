/// Per-neuron power over the components of a spectrum — the real frequency bins of the
/// cyclic group, or the real irreducible components of a finite group (docs/theory.md §4, §5).
///
/// `powers` is row-major, neuron × component. The trivial component (DC, frequency 0, the
/// trivial irrep) is excluded from normalization and from the maximum unless
/// `includeTrivial` is set; in that case the normalization is the total power and the
/// maximum runs over all components.
public struct PowerTable: Sendable {
    public let neuronCount: Int
    public let componentCount: Int
    /// Index of the trivial component.
    public let trivialComponent: Int
    public var includeTrivial: Bool
    /// Relative threshold below which a neuron's non-trivial power counts as zero
    /// (its normalized powers are then undefined, reported as null).
    public var zeroTolerance: Double
    /// `powers[n * componentCount + c]`: power of neuron n in component c.
    public var powers: [Double]

    public init(neuronCount: Int, componentCount: Int, trivialComponent: Int = 0, includeTrivial: Bool = false,
                zeroTolerance: Double = 1e-24, powers: [Double]) {
        precondition(powers.count == neuronCount * componentCount)
        self.neuronCount = neuronCount; self.componentCount = componentCount
        self.trivialComponent = trivialComponent; self.includeTrivial = includeTrivial
        self.zeroTolerance = zeroTolerance; self.powers = powers
    }

    /// The powers of one neuron.
    public func powers(ofNeuron n: Int) -> ArraySlice<Double> {
        powers[(n * componentCount)..<((n + 1) * componentCount)]
    }

    /// Summary of one neuron (dominant component, max normalized power, IPR, shares).
    public func summary(ofNeuron n: Int) -> PowerSummary {
        PowerSummary(powers: powers(ofNeuron: n), trivialComponent: trivialComponent,
                     includeTrivial: includeTrivial, zeroTolerance: zeroTolerance)
    }

    /// Max normalized power of every neuron, in neuron order (nil where undefined).
    public var maxNormalizedPowers: [Double?] {
        (0..<neuronCount).map { summary(ofNeuron: $0).maxNormalizedPower }
    }
}

/// One neuron's spectrum summarized: normalized shares s_c = P_c / Σ' P (Σ' over the
/// non-trivial components, or all of them when the trivial one is included).
public struct PowerSummary: Sendable {
    /// Total power over all components (= ‖u‖² under Plancherel; p‖u‖² for the DFT bins).
    public let total: Double
    /// The normalizer Σ' P.
    public let normalizer: Double
    /// Normalized share of each component (0 for the excluded trivial one); nil when undefined.
    public let shares: [Double]?
    /// Argmax of the shares (nil when undefined).
    public let dominant: Int?
    /// The largest share (nil when undefined).
    public let maxNormalizedPower: Double?
    /// Inverse participation ratio Σ s_c² (1 for a single component, 1/K for K equal ones).
    public let ipr: Double?
    /// The components that count (all, or all but the trivial one).
    private let excluded: Int?

    public init(powers: ArraySlice<Double>, trivialComponent: Int, includeTrivial: Bool, zeroTolerance: Double) {
        var total = 0.0
        for p in powers { total += p }
        let trivial = powers[powers.startIndex + trivialComponent]
        let norm = includeTrivial ? total : total - trivial
        self.total = total
        self.normalizer = norm
        self.excluded = includeTrivial ? nil : trivialComponent
        // Undefined when (numerically) all power sits in the trivial component.
        guard norm > 0, norm > zeroTolerance * total, !norm.isNaN else {
            shares = nil; dominant = nil; maxNormalizedPower = nil; ipr = nil
            return
        }
        var s = [Double](repeating: 0, count: powers.count)
        var best = -1, bestValue = -1.0, ipr = 0.0
        for (c, p) in powers.enumerated() {
            if c == trivialComponent && !includeTrivial { continue }
            let v = p / norm
            s[c] = v
            ipr += v * v
            if v > bestValue { bestValue = v; best = c }
        }
        self.shares = s
        self.dominant = best
        self.maxNormalizedPower = bestValue
        self.ipr = ipr
    }

    /// The `k` largest shares, largest first, each with the cumulative share so far.
    /// Ties are broken by the lower component index.
    public func top(_ k: Int) -> [(component: Int, share: Double, cumulative: Double)] {
        guard let shares, k > 0 else { return [] }
        var idx: [Int] = []
        idx.reserveCapacity(k + 1)
        // Partial selection: keep the k best in a small sorted array.
        for c in shares.indices where c != excluded {
            let v = shares[c]
            var pos = idx.count
            while pos > 0 && shares[idx[pos - 1]] < v { pos -= 1 }
            if pos < k {
                idx.insert(c, at: pos)
                if idx.count > k { idx.removeLast() }
            }
        }
        var cum = 0.0
        return idx.map { c in cum += shares[c]; return (c, shares[c], cum) }
    }
}

/// Histogram of values in [0, 1] (max normalized powers) with equal-width bins; a value of
/// exactly 1 falls in the last bin. Undefined values (nil) are counted apart.
public struct PowerHistogram: Sendable, Equatable {
    public let edges: [Double]
    public let counts: [Int]
    /// Neurons whose value is undefined (no non-trivial power).
    public let undefined: Int

    public init(values: [Double?], bins: Int = 20, range: ClosedRange<Double> = 0...1) {
        precondition(bins >= 1)
        let lo = range.lowerBound, hi = range.upperBound, w = (hi - lo) / Double(bins)
        edges = (0...bins).map { $0 == bins ? hi : lo + Double($0) * w }
        var counts = [Int](repeating: 0, count: bins), undefined = 0
        for v in values {
            guard let v, !v.isNaN else { undefined += 1; continue }
            var b = Int(((v - lo) / w).rounded(.down))
            b = min(max(b, 0), bins - 1)
            counts[b] += 1
        }
        self.counts = counts
        self.undefined = undefined
    }
}

/// Summary statistics of max normalized power over neurons (undefined values skipped).
public struct PowerStatistics: Sendable, Equatable {
    public let count: Int
    public let undefined: Int
    public let mean: Double?
    public let median: Double?
    /// Fraction of defined neurons with value ≥ 0.9 and ≥ 0.99.
    public let fractionAtLeast090: Double?
    public let fractionAtLeast099: Double?

    public init(values: [Double?]) {
        let v = values.compactMap { $0 }.filter { !$0.isNaN }.sorted()
        count = v.count
        undefined = values.count - v.count
        guard !v.isEmpty else {
            mean = nil; median = nil; fractionAtLeast090 = nil; fractionAtLeast099 = nil
            return
        }
        mean = v.reduce(0, +) / Double(v.count)
        median = v.count % 2 == 1 ? v[v.count / 2] : (v[v.count / 2 - 1] + v[v.count / 2]) / 2
        fractionAtLeast090 = Double(v.filter { $0 >= 0.9 }.count) / Double(v.count)
        fractionAtLeast099 = Double(v.filter { $0 >= 0.99 }.count) / Double(v.count)
    }
}
