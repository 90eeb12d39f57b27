import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

/// Attributes of every element of an SVG, in document order.
final class AttributeCollector: NSObject, XMLParserDelegate {
    var elements: [[String: String]] = []
    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) { elements.append(attributes) }
    static func parse(_ path: String) throws -> [[String: String]]? {
        let c = AttributeCollector()
        let p = XMLParser(data: try Data(contentsOf: URL(fileURLWithPath: path)))
        p.delegate = c
        return p.parse() ? c.elements : nil
    }
}

/// The paper's Fig. 1 panels (issue 16): the profiled neurons of `analyze --out` and of a
/// batch's last checkpoint, drawn from report.json's `neuron_profiles`.
@Suite struct NeuronPanelCLITests {
    let root = RecordedOutputTests.root

    func json(_ path: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
    }

    /// Equal up to the last bit or two: Foundation's JSONSerialization on Linux does not parse
    /// every double correctly rounded, so report.json's numbers are compared within 2 ulps.
    func same(_ a: [Double], _ b: [Double]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= 2 * $0.ulp.magnitude + 2 * $1.ulp.magnitude }
    }

    /// Largest share of each role's power (over all frequencies, DC included).
    func dominantShares(_ profile: [String: Any]) -> [(Int, Double)] {
        let power = profile["power"] as! [String: [Double]]
        return ["u", "v", "w"].map { r in
            let p = power[r]!, total = p.reduce(0, +)
            let k = p.indices.max { p[$0] < p[$1] }!
            return (k, p[k] / total)
        }
    }

    @Test(arguments: [("c71-quadratic", "quadratic"), ("c71-relu", "relu")])
    func panelsOfTheTrainedC71Networks(run: String, activation: String) throws {
        let dir = ScratchDirectory()
        let out = dir.path("report")
        let r = try CLI.run(["analyze", "data/\(run)-final.pt", "--group", "C71", "--activation", activation, "--out", out], cwd: root)
        #expect(r.status == 0, "\(r.stderr)")
        let report = try json(out + "/report.json")
        let profiles = try #require(report["neuron_profiles"] as? [[String: Any]])
        #expect(profiles.count == 6)
        // The six largest neurons by norm, largest first.
        let norms = (report["neurons"] as! [[String: Any]]).map { ($0["index"] as! Int, $0["norm"] as! Double) }
        let largest = norms.sorted { $0.1 > $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }.prefix(6).map(\.0)
        #expect(profiles.map { $0["index"] as! Int } == Array(largest))
        for p in profiles {
            let index = p["index"] as! Int
            let svg = out + "/neuron-\(index).svg"
            let elements = try #require(try AttributeCollector.parse(svg), "\(svg) is not well-formed")
            // Dots: u, v, w over the 71 elements, exactly report.json's numbers.
            let values = p["values"] as! [String: [Double]]
            let dots = elements.compactMap { $0["data-value"].flatMap(Double.init) }
            #expect(same(dots, values["u"]! + values["v"]! + values["w"]!))
            #expect(elements.filter { $0["class"] == "interpolation" }.count == 3)
            // Bars: each role's power share per frequency, 36 frequencies.
            let shares = elements.compactMap { $0["data-share"].flatMap(Double.init) }
            #expect(shares.count == 3 * 36)
            let dominant = dominantShares(p)
            #expect(Set(dominant.map(\.0)).count == 1, "u, v, w share one frequency")
            if activation == "quadratic" {
                // Exactly single-frequency neurons (the paper's Fig. 1a).
                for (_, s) in dominant { #expect(s > 0.9999, "neuron \(index): \(dominant)") }
            } else {
                // Nearly, not exactly (Fig. 1b): the inputs keep a few percent elsewhere.
                for (_, s) in dominant { #expect(s > 0.9 && s < 0.999, "neuron \(index): \(dominant)") }
            }
        }
        let html = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
        #expect(html.components(separatedBy: "class=\"plot neuron-panel\"").count - 1 == 6)
    }

    @Test func nonCyclicGroupsGetThePowerPerIrrep() throws {
        let dir = ScratchDirectory()
        let out = dir.path("report")
        let r = try CLI.run(["analyze", "data/s4-quadratic-final.pt", "--group", "S4", "--out", out, "--neurons", "3"], cwd: root)
        #expect(r.status == 0, "\(r.stderr)")
        let report = try json(out + "/report.json")
        let profiles = try #require(report["neuron_profiles"] as? [[String: Any]])
        #expect(profiles.count == 3)
        let components = report["components"] as! [String]
        for p in profiles {
            let elements = try #require(try AttributeCollector.parse(out + "/neuron-\(p["index"] as! Int).svg"))
            let bars = elements.filter { $0["data-share"] != nil }
            #expect(bars.count == 3 * components.count)
            #expect(bars.prefix(components.count).map { $0["data-component"]! } == components)
            #expect(elements.allSatisfy { $0["data-value"] == nil })
        }
    }

    @Test func jsonOutputHasProfilesOnlyWhenAsked() throws {
        let plain = try CLI.run(["analyze", "data/s4-quadratic-final.pt", "--group", "S4", "--format", "json"], cwd: root)
        #expect(plain.json?["neuron_profiles"] == nil)
        let asked = try CLI.run(["analyze", "data/s4-quadratic-final.pt", "--group", "S4", "--format", "json", "--neurons", "2"], cwd: root)
        #expect((asked.json?["neuron_profiles"] as? [Any])?.count == 2)
        let bad = try CLI.run(["analyze", "data/s4-quadratic-final.pt", "--group", "S4", "--neurons", "-1"], cwd: root)
        #expect(bad.status != 0 && bad.stdout.isEmpty)
    }

    @Test func batchDrawsTheLastCheckpointsNeurons() throws {
        let dir = ScratchDirectory()
        let out = dir.path("out")
        let r = try CLI.run(["batch", "data/c71-quadratic-run", "--group", "C71", "--out", out, "--quiet", "--neurons", "2"], cwd: root)
        #expect(r.status == 0, "\(r.stderr)")
        let last = try json(out + "/last-checkpoint.json")
        #expect((last["file"] as? String)?.hasSuffix("step012000.pt") == true)
        let profiles = try #require(last["neuron_profiles"] as? [[String: Any]])
        #expect(profiles.count == 2)
        for p in profiles {
            let svg = out + "/neuron-\(p["index"] as! Int).svg"
            let elements = try #require(try AttributeCollector.parse(svg))
            let values = p["values"] as! [String: [Double]]
            #expect(same(elements.compactMap { $0["data-value"].flatMap(Double.init) }, values["u"]! + values["v"]! + values["w"]!))
        }
        // `report` re-renders the batch with the same panels.
        let again = dir.path("again")
        let rr = try CLI.run(["report", out + "/results.jsonl", "--out", again], cwd: root)
        #expect(rr.status == 0, "\(rr.stderr)")
        for p in profiles { #expect(FileManager.default.fileExists(atPath: again + "/neuron-\(p["index"] as! Int).svg")) }
    }
}
