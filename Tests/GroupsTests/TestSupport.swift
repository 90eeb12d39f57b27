import Foundation
@testable import Groups

/// A small deterministic generator (SplitMix64) so failures reproduce.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func randomVector(_ n: Int, _ rng: inout SeededGenerator) -> [Double] {
    (0..<n).map { _ in Double.random(in: -1...1, using: &rng) }
}

/// The groups the identities of docs/theory.md §7 are checked on (element-level ones).
let elementGroupNames: [String] =
    (1...6).map { "S\($0)" } + (4...7).map { "A\($0)" } + (3...12).map { "D\($0)" } + (1...20).map { "C\($0)" }
    + ["D1", "D2", "A3", "S3xC2", "C3xC4", "D4xC3", "A4xC2", "C2xC2xC2", "S3xS3"]

func group(_ name: String) -> FiniteGroup { try! FiniteGroup.named(name) }

func approxEqual(_ a: Double, _ b: Double, _ tol: Double = 1e-9) -> Bool { abs(a - b) <= tol * max(1, abs(a), abs(b)) }
