import Foundation
import Testing

/// `analyze` finds both transformer layouts of docs/networks.md §6 without flags (fixtures of
/// scripts/make_transformer_fixtures.py; expected numbers from its numpy reference).
@Suite struct TransformerCLITests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("AnalysisTests/Fixtures/transformer")
    nonisolated(unsafe) static let expected: [String: [String: Any]] = {
        let d = try! Data(contentsOf: fixtures.appendingPathComponent("expected.json"))
        return (try! JSONSerialization.jsonObject(with: d) as! [String: Any])["networks"] as! [String: [String: Any]]
    }()

    @Test(arguments: [("pm-c7-relu", "progress-measures"), ("tl-s3-relu", "TransformerLens"),
                      ("tl-c11-ln-gelu_new-2blocks", "TransformerLens"), ("pm-c11-gelu-2blocks", "progress-measures")])
    func analyzeFindsEachLayout(name: String, layout: String) throws {
        let e = try #require(Self.expected[name])
        let path = Self.fixtures.appendingPathComponent(name + ".pt").path
        let r = try CLI.run(["analyze", path, "--group", e["group"] as! String, "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let j = try #require(r.json)
        let t = try #require(j["transformer"] as? [String: Any])
        #expect(t["layout"] as? String == layout)
        #expect(t["blocks"] as? Int == e["blocks"] as? Int)
        #expect(((j["layout"] as? [String: Any])?["kind"] as? String)?.hasPrefix("transformer") == true)
        let margin = try #require((j["summary"] as? [String: Any])?["margin"] as? [String: Any])
        let raw = try #require(margin["raw"] as? Double), ref = e["margin"] as! Double
        #expect(abs(raw - ref) <= 1e-9 * max(1, abs(ref)))
        #expect(margin["theoretical_max"] is NSNull)
        let emb = try #require(t["embedding"] as? [String: Any])
        #expect((emb["key"] as? [Any])?.isEmpty == false)
        // The table names the layout and says why no γ* is quoted.
        let table = try CLI.run(["analyze", path, "--group", e["group"] as! String])
        #expect(table.status == 0 && table.stdout.contains("transformer (\(layout) layout") && table.stdout.contains("no γ* quoted: a transformer"))
    }

    @Test func equalsTokenOptions() throws {
        let path = Self.fixtures.appendingPathComponent("pm-c7-relu.pt").path
        let bad = try CLI.run(["analyze", path, "--group", "C7", "--equals-token", "9"])
        #expect(bad.status != 0 && bad.stderr.contains(path) && bad.stderr.contains("= token id 9") && bad.stdout.isEmpty)
        let both = try CLI.run(["analyze", path, "--group", "C7", "--equals-token", "7", "--no-equals"])
        #expect(both.status != 0 && both.stderr.contains("exclude each other"))
        let two = try CLI.run(["analyze", path, "--group", "C7", "--no-equals", "--format", "json"])
        #expect(two.status == 0)
        #expect((two.json?["transformer"] as? [String: Any])?["equals_token"] is NSNull)
        let gelu = try CLI.run(["analyze", Self.fixtures.appendingPathComponent("tl-c7-ln-gelu-module.pt").path, "--group", "C7",
                                "--activation", "gelu", "--format", "json"])
        #expect(gelu.status == 0)
        let raw = ((gelu.json?["summary"] as? [String: Any])?["margin"] as? [String: Any])?["raw"] as? Double
        let ref = Self.expected["tl-c7-ln-gelu-module"]!["margin"] as! Double
        #expect(raw.map { abs($0 - ref) <= 1e-9 * max(1, abs(ref)) } == true)
    }
}
