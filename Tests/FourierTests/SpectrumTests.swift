import Foundation
import Testing
@testable import Fourier

/// Naive O(p²) DFT in Double: X[k] = Σ_a u[a] e^{−2πika/p} (docs/theory.md §4).
func naiveBinPowers(_ u: [Double]) -> (powers: [Double], phases: [Double]) {
    let p = u.count
    var powers: [Double] = [], phases: [Double] = []
    for k in 0...(p / 2) {
        var re = 0.0, im = 0.0
        for a in 0..<p {
            // Reduce k·a mod p first so the angle stays small and exact.
            let t = -2 * Double.pi * Double((k * a) % p) / Double(p)
            re += u[a] * cos(t); im += u[a] * sin(t)
        }
        let m = re * re + im * im
        powers.append((k == 0 || 2 * k == p) ? m : 2 * m)
        phases.append(atan2(im, re))
    }
    return (powers, phases)
}

struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E3779B97F4A7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        return z ^ (z >> 31)
    }
}

func randomMatrix(_ count: Int, seed: UInt64) -> [Double] {
    var g = SplitMix64(state: seed)
    return (0..<count).map { _ in Double.random(in: -1...1, using: &g) }
}

/// Spectra of a neurons × p matrix stored either as rows or as columns.
func spectra<S: FFTWScalar>(_ rows: [Double], neurons: Int, p: Int, columns: Bool, as: S.Type,
                            includeDC: Bool = false, backend: SpectrumBackend = .fftw) -> FourierSpectra {
    var opts = SpectrumOptions(includeDC: includeDC)
    opts.batch = 7  // odd batch so a short last block runs too
    opts.backend = backend
    if columns {
        var t = [S](repeating: 0, count: neurons * p)
        for n in 0..<neurons { for a in 0..<p { t[a * neurons + n] = S(rows[n * p + a]) } }
        return t.withUnsafeBufferPointer {
            FourierSpectra.compute(NeuronMatrix(base: $0.baseAddress!, neurons: neurons, length: p,
                                                neuronStride: 1, sampleStride: neurons), options: opts)
        }
    }
    let r = rows.map { S($0) }
    return r.withUnsafeBufferPointer {
        FourierSpectra.compute(NeuronMatrix(base: $0.baseAddress!, neurons: neurons, length: p,
                                            neuronStride: p, sampleStride: 1), options: opts)
    }
}

@Suite struct SpectrumAgainstNaiveDFT {
    static let layouts: [(Bool, SpectrumBackend)] = [(false, .fftw), (true, .fftw), (false, .gemm), (true, .gemm)]

    @Test(arguments: [71, 113, 128, 1021], layouts)
    func doublePrecisionMatchesNaiveDFT(p: Int, layout: (Bool, SpectrumBackend)) {
        let (columns, backend) = layout
        let neurons = 9
        let w = randomMatrix(neurons * p, seed: UInt64(p))
        let s = spectra(w, neurons: neurons, p: p, columns: columns, as: Double.self, backend: backend)
        #expect(s.table!.componentCount == p / 2 + 1)
        for n in 0..<neurons {
            let ref = naiveBinPowers(Array(w[(n * p)..<((n + 1) * p)]))
            let got = Array(s.table!.powers(ofNeuron: n))
            let scale = ref.powers.max()!
            for k in got.indices { #expect(abs(got[k] - ref.powers[k]) <= 1e-9 * scale) }
            let sum = Summary(ref.powers)
            #expect(s.summary(ofNeuron: n).dominant == sum.dominant)
            #expect(s.dominantFrequencies[n] == sum.dominant)
            #expect(abs(s.maxNormalizedPowers[n]! - sum.max) < 1e-12)
            #expect(abs(s.iprs[n]! - s.summary(ofNeuron: n).ipr!) < 1e-12)
            #expect(abs(s.phases[n]! - ref.phases[sum.dominant]) < 1e-9)
        }
    }

    @Test(arguments: [71, 113, 128, 1021], layouts)
    func singlePrecisionMatchesNaiveDFT(p: Int, layout: (Bool, SpectrumBackend)) {
        let (columns, backend) = layout
        let neurons = 5
        let w = randomMatrix(neurons * p, seed: UInt64(p) + 99).map { Double(Float($0)) }
        let s = spectra(w, neurons: neurons, p: p, columns: columns, as: Float.self, backend: backend)
        for n in 0..<neurons {
            let ref = naiveBinPowers(Array(w[(n * p)..<((n + 1) * p)]))
            let got = Array(s.table!.powers(ofNeuron: n))
            let scale = ref.powers.max()!
            for k in got.indices { #expect(abs(got[k] - ref.powers[k]) <= 2e-5 * scale) }
            let mine = s.summary(ofNeuron: n).maxNormalizedPower!
            #expect(abs(mine - Summary(ref.powers).max) < 1e-5)
        }
    }

    /// Reference summary computed directly from bin powers.
    struct Summary {
        let dominant: Int, max: Double
        init(_ powers: [Double]) {
            let nonDC = powers.dropFirst()
            let total = nonDC.reduce(0, +)
            let m = nonDC.max()!
            dominant = powers.indices.dropFirst().first { powers[$0] == m }!
            max = m / total
        }
    }
}

@Suite struct SpectrumIdentities {
    @Test(arguments: [2, 3, 71, 128, 1021], [SpectrumBackend.fftw, .gemm, .automatic])
    func parseval(p: Int, backend: SpectrumBackend) {
        let w = randomMatrix(4 * p, seed: 7 + UInt64(p))
        let s = spectra(w, neurons: 4, p: p, columns: false, as: Double.self, backend: backend)
        for n in 0..<4 {
            let normSq = w[(n * p)..<((n + 1) * p)].reduce(0) { $0 + $1 * $1 }
            let total = s.table!.powers(ofNeuron: n).reduce(0, +)
            #expect(abs(total - Double(p) * normSq) <= 1e-10 * Double(p) * normSq)
        }
    }

    @Test(arguments: [(71, 5), (71, 35), (113, 1), (128, 64), (128, 17), (1021, 400)])
    func pureCosineHasAllPowerAtItsFrequency(p: Int, zeta: Int) {
        var g = SplitMix64(state: UInt64(p * 1000 + zeta))
        let theta = Double.random(in: -Double.pi..<Double.pi, using: &g)
        let u = (0..<p).map { 2.5 * cos(theta + 2 * Double.pi * Double(zeta * $0 % p) / Double(p)) }
        for (columns, backend) in SpectrumAgainstNaiveDFT.layouts {
            let sd = spectra(u, neurons: 1, p: p, columns: columns, as: Double.self, backend: backend).summary(ofNeuron: 0)
            #expect(sd.dominant == zeta)
            #expect(abs(sd.maxNormalizedPower! - 1) < 1e-6)
            #expect(abs(sd.ipr! - 1) < 1e-6)
            let sf = spectra(u, neurons: 1, p: p, columns: columns, as: Float.self, backend: backend)
            #expect(sf.summary(ofNeuron: 0).dominant == zeta)
            #expect(abs(sf.summary(ofNeuron: 0).maxNormalizedPower! - 1) < 1e-6)
            // Nyquist bin of even p has phase 0 or π only; elsewhere the phase is θ.
            let phase = spectra(u, neurons: 1, p: p, columns: columns, as: Double.self, backend: backend).phases[0]!
            if 2 * zeta != p {
                let d = remainder(phase - theta, 2 * Double.pi)
                #expect(abs(d) < 1e-9)
            }
        }
    }

    @Test func constantAndZeroNeuronsAreUndefined() {
        let p = 71
        var w = [Double](repeating: 3.25, count: p)      // constant: DC only
        w += [Double](repeating: 0, count: p)              // all zero
        w += (0..<p).map { cos(2 * Double.pi * Double(3 * $0) / Double(p)) }
        for (prec, backend) in [(true, SpectrumBackend.fftw), (false, .fftw), (true, .gemm), (false, .gemm)] {
            let s = prec ? spectra(w, neurons: 3, p: p, columns: false, as: Double.self, backend: backend)
                         : spectra(w, neurons: 3, p: p, columns: true, as: Float.self, backend: backend)
            for n in 0..<2 {
                let sum = s.summary(ofNeuron: n)
                #expect(sum.maxNormalizedPower == nil && sum.dominant == nil && sum.ipr == nil)
                #expect(s.phases[n] == nil)
                #expect(sum.top(3).isEmpty)
            }
            #expect(s.summary(ofNeuron: 2).dominant == 3)
            let h = PowerHistogram(values: s.maxNormalizedPowers, bins: 20)
            #expect(h.undefined == 2 && h.counts.reduce(0, +) == 1)
        }
    }

    @Test func includeDCCountsTheConstantPart() {
        let p = 11
        // u = 1 + cos(2π·2a/p): P_0 = p², P_2 = 2·(p/2)² = p²/2.
        let u = (0..<p).map { 1 + cos(2 * Double.pi * Double(2 * $0) / Double(p)) }
        var o = SpectrumOptions(includeDC: true); o.batch = 1
        let s = u.withUnsafeBufferPointer {
            FourierSpectra.compute(NeuronMatrix(base: $0.baseAddress!, neurons: 1, length: p, neuronStride: p, sampleStride: 1), options: o)
        }
        let sum = s.summary(ofNeuron: 0)
        #expect(sum.dominant == 0)
        #expect(abs(sum.maxNormalizedPower! - 2.0 / 3.0) < 1e-12)
        let excl = FourierSpectra.compute(rows: u, neurons: 1, p: p).summary(ofNeuron: 0)
        #expect(excl.dominant == 2 && abs(excl.maxNormalizedPower! - 1) < 1e-12)
    }

    @Test func topSharesAreSortedWithCumulativeSums() {
        let p = 31
        // Two frequencies with amplitudes 2 and 1: shares 4/5 and 1/5.
        let u = (0..<p).map { 2 * cos(2 * Double.pi * Double(4 * $0) / Double(p)) + sin(2 * Double.pi * Double(9 * $0) / Double(p)) }
        let s = FourierSpectra.compute(rows: u, neurons: 1, p: p).summary(ofNeuron: 0)
        let t = s.top(3)
        #expect(t.count == 3)
        #expect(t[0].component == 4 && abs(t[0].share - 0.8) < 1e-12)
        #expect(t[1].component == 9 && abs(t[1].share - 0.2) < 1e-12)
        #expect(abs(t[1].cumulative - 1) < 1e-12)
        #expect(t[2].component != 0, "DC is excluded from the top list")
        #expect(abs(s.ipr! - (0.64 + 0.04)) < 1e-12)
    }

    @Test func histogramCountsEveryNeuronOnce() {
        let values: [Double?] = [0, 0.05, 0.5, 0.9999, 1.0, nil, 0.95, 0.1]
        let h = PowerHistogram(values: values, bins: 10)
        #expect(h.edges.count == 11 && h.edges.first == 0 && h.edges.last == 1)
        #expect(h.counts.reduce(0, +) + h.undefined == values.count)
        #expect(h.counts[0] == 2 && h.counts[1] == 1 && h.counts[5] == 1 && h.counts[9] == 3)
        let st = PowerStatistics(values: values)
        #expect(st.count == 7 && st.undefined == 1)
        #expect(abs(st.fractionAtLeast090! - 3.0 / 7.0) < 1e-15)
        #expect(st.median == 0.5)
    }

    @Test func plansAreCachedAndReusedAcrossThreads() {
        let planner = FFTWPlanner()
        let layout = R2CBatchLayout.rows(length: 97, howmany: 8)
        let a = planner.plan(layout, as: Float.self)
        let b = planner.plan(layout, as: Float.self)
        #expect(a === b)
        let c = planner.plan(layout, as: Double.self)
        #expect(c.layout == layout)
        // Many threads computing at once give identical results.
        let w = randomMatrix(3000 * 97, seed: 5)
        var o = SpectrumOptions(); o.threads = 4; o.batch = 64
        let one = w.withUnsafeBufferPointer { FourierSpectra.compute(NeuronMatrix(base: $0.baseAddress!, neurons: 3000, length: 97, neuronStride: 97, sampleStride: 1), options: o, planner: planner) }
        o.threads = 1
        let two = w.withUnsafeBufferPointer { FourierSpectra.compute(NeuronMatrix(base: $0.baseAddress!, neurons: 3000, length: 97, neuronStride: 97, sampleStride: 1), options: o, planner: planner) }
        #expect(one.table!.powers == two.table!.powers)
    }
}

@Suite struct StridedViews {
    /// Every other row of a (2n × p) matrix, and every other column of a (p × 2n) one:
    /// neither stride is 1, so both backends gather through the strides.
    @Test(arguments: [SpectrumBackend.fftw, .gemm])
    func viewsWithoutUnitStrideMatchContiguousInput(backend: SpectrumBackend) {
        let p = 37, n = 10
        let big = randomMatrix(2 * n * p, seed: 3)
        var o = SpectrumOptions(); o.backend = backend; o.batch = 4
        let view = big.withUnsafeBufferPointer {
            FourierSpectra.compute(NeuronMatrix(base: $0.baseAddress!, neurons: n, length: p, neuronStride: 2 * p, sampleStride: 1), options: o)
        }
        var rows: [Double] = []
        for i in 0..<n { rows += big[(2 * i * p)..<((2 * i + 1) * p)] }
        let dense = FourierSpectra.compute(rows: rows, neurons: n, p: p, options: o)
        for i in 0..<(n * (p / 2 + 1)) { #expect(abs(view.table!.powers[i] - dense.table!.powers[i]) < 1e-9) }
        // Column view: element (a, 2j) of a (p × 2n) matrix.
        var t = [Double](repeating: 0, count: 2 * n * p)
        for j in 0..<n { for a in 0..<p { t[a * 2 * n + 2 * j] = rows[j * p + a] } }
        let cols = t.withUnsafeBufferPointer {
            FourierSpectra.compute(NeuronMatrix(base: $0.baseAddress!, neurons: n, length: p, neuronStride: 2, sampleStride: 2 * n), options: o)
        }
        #expect(cols.dominantFrequencies == dense.dominantFrequencies)
        for i in 0..<n { #expect(abs(cols.maxNormalizedPowers[i]! - dense.maxNormalizedPowers[i]!) < 1e-12) }
    }

    @Test func automaticBackendIsRememberedPerLength() {
        let planner = FFTWPlanner()
        let a = planner.fastestBackend(length: 113, as: Float.self)
        #expect(a != .automatic)
        #expect(planner.fastestBackend(length: 113, as: Float.self) == a)
    }
}

/// The per-neuron pass (vectorized reductions in CKernels) against the summaries recomputed
/// from the kept bin powers, on lengths with fewer and more than eight non-DC bins, on exact
/// ties (the first maximal bin wins) and with the DC bin counted; and `phases` off changes
/// nothing but the phases.
@Suite struct PerNeuronPass {
    @Test(arguments: [2, 3, 5, 8, 16, 17, 18, 71, 113, 128])
    func passAgreesWithTheKeptPowers(p: Int) {
        var rows = randomMatrix(40 * p, seed: UInt64(p) + 7)
        // Neurons 0–3: two cosines of equal amplitude (a tie between their bins).
        for n in 0..<4 where p >= 5 {
            let f1 = 1 + n % max(1, p / 2 - 1), f2 = p / 2
            for a in 0..<p {
                rows[n * p + a] = cos(2 * Double.pi * Double(f1 * a % p) / Double(p))
                    + (f2 != f1 ? cos(2 * Double.pi * Double(f2 * a % p) / Double(p) + 0.3) : 0)
            }
        }
        for includeDC in [false, true] {
            for backend in [SpectrumBackend.fftw, .gemm] {
                var o = SpectrumOptions(includeDC: includeDC)
                o.backend = backend
                o.batch = 11
                let s = rows.withUnsafeBufferPointer {
                    FourierSpectra.compute(NeuronMatrix(base: $0.baseAddress!, neurons: 40, length: p, neuronStride: p, sampleStride: 1),
                                           options: o)
                }
                o.phases = false
                o.keepPowers = false
                let lean = rows.withUnsafeBufferPointer {
                    FourierSpectra.compute(NeuronMatrix(base: $0.baseAddress!, neurons: 40, length: p, neuronStride: p, sampleStride: 1),
                                           options: o)
                }
                for n in 0..<40 {
                    let sum = s.summary(ofNeuron: n)
                    #expect(s.dominantFrequencies[n] == sum.dominant, "p \(p) neuron \(n)")
                    if let a = s.maxNormalizedPowers[n], let b = sum.maxNormalizedPower { #expect(abs(a - b) < 1e-12) }
                    else { #expect(s.maxNormalizedPowers[n] == nil && sum.maxNormalizedPower == nil) }
                    if let a = s.iprs[n], let b = sum.ipr { #expect(abs(a - b) < 1e-12) }
                    #expect(lean.maxNormalizedPowers[n] == s.maxNormalizedPowers[n])
                    #expect(lean.dominantFrequencies[n] == s.dominantFrequencies[n])
                    #expect(lean.iprs[n] == s.iprs[n])
                    #expect(lean.phases[n] == nil)
                    #expect((s.phases[n] == nil) == (s.dominantFrequencies[n] == nil))
                }
            }
        }
    }
}
