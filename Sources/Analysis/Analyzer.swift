import Checkpoints
import Foundation
import Groups

/// The entry point of the library: a checkpoint and a request in, a typed result out.
///
/// ```swift
/// let checkpoint = try CheckpointLoader.load(path: "data/c71-quadratic-final.pt")
/// let result = try Analyzer.analyze(checkpoint, AnalysisRequest(task: .group("C71")))
/// if case .group(let a, _) = result { print(a.accuracy, a.normalizedMargin, a.bound.value ?? .nan) }
/// ```
///
/// The network is found by the registered families (`NetworkFamilies.registered`), tried in
/// order among those serving the task; when none finds it the error lists each family's reason.
public enum Analyzer {
    /// Analyzes the checkpoint at `path` (any format `CheckpointLoader` reads).
    public static func analyze(path: String, _ request: AnalysisRequest,
                               families: [any NetworkFamily] = NetworkFamilies.registered) throws -> AnalysisResult {
        try analyze(CheckpointLoader.load(path: path), request, families: families)
    }

    public static func analyze(_ checkpoint: Checkpoint, _ request: AnalysisRequest,
                               families: [any NetworkFamily] = NetworkFamilies.registered) throws -> AnalysisResult {
        try request.validate()
        var request = request
        switch request.task {
        case .inferredGroup:
            if GroupInference.recorded(in: checkpoint) == nil, let p = ParityInference.recorded(in: checkpoint) {
                if request.attribution?.pairsFile != nil || request.attribution?.pairs != nil {
                    throw AnalysisError("\(checkpoint.path): its metadata \(p.key) records a sparse parity, which has no pairs: the training pairs (--pairs) are for group tasks")
                }
                request.task = .parity(n: p.n, k: p.k, support: p.support)
                request.attribution = nil
                do { try request.validate() } catch {
                    throw AnalysisError("\(checkpoint.path): its metadata \(p.key) records a (\(p.n), \(p.k))-sparse parity: \(error)")
                }
                request.note?("\(checkpoint.path): analyzing as the (\(p.n), \(p.k))-sparse parity its metadata \(p.key) records"
                              + (p.support.map { ", support \($0)" } ?? "") + " (pass --task parity --n N --k K, or --group G, to choose)")
                break
            }
            guard let g = GroupInference.infer(from: checkpoint) else {
                let hint = GroupInference.orderHint(in: checkpoint).map { " (\($0))" } ?? ""
                throw AnalysisError("\(checkpoint.path): the checkpoint does not say which group it was trained on (no metadata names one and no weight axis has prime length); give --group G\(hint)")
            }
            request.note?("\(checkpoint.path): analyzing as \(g.name): \(g.how) (pass --group to choose)")
            request.task = .group(g.name)
        case .group(let name):
            if let r = GroupInference.recorded(in: checkpoint), let given = try? GroupSpec.parse(name), given.description != r.name {
                request.note?("warning: \(checkpoint.path): its metadata \(r.key) names \(r.name), but the group given is \(given.description)")
            } else if GroupInference.recorded(in: checkpoint) == nil, let m = GroupInference.recordedModulus(in: checkpoint),
                      let given = try? GroupSpec.parse(name), let cyclic = try? GroupSpec.parse("C\(m.n)"), given.description != cyclic.description {
                request.note?("warning: \(checkpoint.path): its metadata \(m.key) = \(m.n) suggests \(cyclic.description), but the group given is \(given.description)")
            }
        case .parity: break
        }
        var group: FiniteGroup? = nil
        if case .group(let name) = request.task { group = try GroupSource.group(name) }
        if let g = group, let file = request.attribution?.pairsFile, request.attribution?.pairs == nil {
            request.attribution?.pairs = try PairList.read(file, order: g.order)
        }
        let candidates = families.filter { $0.serves(request.task) }
        var rejections: [String] = []
        var firstError: Error?
        for family in candidates {
            do {
                return try family.analyze(checkpoint, request: request, group: group)
            } catch let r as FamilyRejection {
                rejections.append(r.description)
            } catch let e as LayoutError {
                // The family's own message (candidates, flags to pass) is the most useful one
                // when it is the only family for the task.
                if firstError == nil { firstError = e }
                rejections.append("\(family.name): \(e.message)")
            }
        }
        if candidates.count == 1, let firstError { throw firstError }
        if rejections.isEmpty { throw AnalysisError("\(checkpoint.path): no network family serves this task") }
        throw LayoutError(path: checkpoint.path, message: "could not find the network:\n  " + rejections.joined(separator: "\n  "))
    }
}
