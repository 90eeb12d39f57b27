import Analysis
import ArgumentParser
import Groups
import JSONOutput
import Reports

// MARK: - characters

struct CharactersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "characters",
        abstract: "Exact character table of a finite group (C_n, D_n, S_n up to n = 35, A_n, products, table:FILE, perm:GENS).",
        discussion: """
        GROUP: Cn or Zn (cyclic), Dn (dihedral of ORDER 2n), Sn, An, products such as S3xC2 (docs/theory.md §6). \
        Rows are irreps (S_n: partitions, [n] first), columns conjugacy classes (S_n, A_n: cycle types; \
        D_n: r^k, s, sr). JSON: group, order, classes (label, size, centralizer, representative as a 0-based \
        permutation, cycle_type), irreps (label, degree, indicator, partition), table (integers exactly; \
        complex values as {"re", "im"}). table:FILE (a Cayley table: JSON list of lists, .npy, .pt or safetensors, \
        0-based) and perm:FILE or perm:'(0 1 2 3 4),(0 1)' (permutation generators) give any finite group: \
        Dixon–Schneider, exact values printed as GAP prints them (E(n) sums), identified_as when the group \
        matches a named one (docs/groups-from-data.md).
        """
    )

    @Argument(help: "The group, e.g. S5, A5, D59, C71, S3xC2, table:mult_table.pt, perm:'(0 1 2 3 4),(0 1)'.")
    var group: String

    @Option(help: "Output format: table or json.")
    var format: SummaryFormat = .table

    func validate() throws {
        do { try GroupSource.validate(group) } catch let e as GroupError { throw ValidationError(e.description) }
    }

    func run() throws {
        let (table, identified) = try GroupSource.characterTable(group)
        let out = ByteSink()
        switch format {
        case .json: GroupRendering.writeJSON(table, identifiedAs: identified, out)
        case .table: GroupRendering.writeText(table, exact: GroupSource.isData(group), identifiedAs: identified, out)
        }
        out.flush()
        if out.failed { throw UsageError("writing the output failed") }
    }
}

// MARK: - irreps

enum ElementChoice: String, ExpressibleByArgument, CaseIterable { case generators, all }

struct IrrepsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "irreps",
        abstract: "Explicit real orthogonal irreducible representations (Young's orthogonal form, A_n, D_n, C_n, products).",
        discussion: """
        One matrix per element for each real irreducible component: Young's orthogonal form for S_n \
        (docs/theory.md §6), rotation/reflection matrices for D_n, rotations by 2πka/n for C_n (complex pairs \
        realified), Young's form restricted to A_n (self-conjugate λ split into λ±), Kronecker products \
        for products. ρ(gh) = ρ(g)ρ(h) with (gh)(x) = g(h(x)).
        """
    )

    @Argument(help: "The group, e.g. S4, D5, C7, S3xC2.")
    var group: String

    @Option(help: "Only the real component with this label (e.g. [3,1], E1, k2).")
    var irrep: String?

    @Option(help: "Elements to show: generators or all.")
    var elements: ElementChoice = .generators

    @Option(help: "Output format: table or json.")
    var format: SummaryFormat = .table

    func validate() throws {
        do { try GroupSource.validate(group) } catch let e as GroupError { throw ValidationError(e.description) }
    }

    func run() throws {
        let g = try GroupSource.group(group)
        guard g.hasExplicitIrreps else {
            throw UsageError("\(g.name): no explicit irreps are implemented; `irrepscope characters \(g.name)` gives its characters")
        }
        let t = g.characterTable
        var comps = Array(0..<t.realComponents.count)
        if let label = irrep {
            guard let c = t.realComponentIndex(label: label) else {
                throw ValidationError("\(g.name) has no irrep '\(label)'; its real components are " + t.realComponents.map(\.label).joined(separator: ", "))
            }
            comps = [c]
        }
        let elems = elements == .all ? Array(0..<g.order) : g.generators
        let out = ByteSink()
        GroupRendering.writeIrreps(g, components: comps, elements: elems, elementChoice: elements.rawValue, json: format == .json, out)
        out.flush()
    }
}

// MARK: - decompose

enum DecompositionMethod: String, ExpressibleByArgument, CaseIterable { case characters, matrices }

struct DecomposeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decompose",
        abstract: "Per-neuron isotypic power over the real irreps of a finite group (dominant irrep, max normalized power, IPR).",
        discussion: """
        Each neuron's weights over the |G| group elements (sample a = element a in the default order of \
        docs/theory.md §6, or the order given by --elements) are split into real irreducible components with \
        Plancherel normalization (docs/theory.md §5): powers sum to ‖f‖², shares are normalized by the \
        non-trivial power unless --include-trivial. Complex pairs (C_n's ±k) form one component, so for \
        C_n this equals `spectrum` bin for bin.
        """
    )

    @OptionGroup var selection: WeightSelection

    @Option(help: "The group, e.g. S5, D59, C71, S3xC2.")
    var group: String

    @Option(name: .customLong("elements"),
            help: "JSON file: the element of each row as a permutation (list of lists, 0- or 1-based), in the group's action (see `irreps GROUP --elements all --format json`).")
    var elementsFile: String?

    @Flag(name: .customLong("include-trivial"), help: "Count the trivial irrep in the normalization and the maximum.")
    var includeTrivial = false

    @Option(help: "Number of top components listed per neuron.")
    var top: Int = 3

    @Option(help: "Histogram bins on [0, 1].")
    var bins: Int = 20

    @Option(help: "characters (autocorrelation and characters) or matrices (explicit irreps).")
    var method: DecompositionMethod = .characters

    @Option(help: "Output format: table, json or csv.")
    var format: ListingFormat = .table

    func validate() throws {
        if top < 0 { throw ValidationError("--top must be ≥ 0") }
        if bins < 1 { throw ValidationError("--bins must be ≥ 1") }
        do { try GroupSource.validate(group) } catch let e as GroupError { throw ValidationError(e.description) }
    }

    func run() throws {
        let g = try GroupSource.group(group)
        let m = try selection.load(sampleCount: g.order)
        guard m.length == g.order else {
            throw AnalysisError("\(m.path): tensor '\(m.tensor.name)' has \(m.length) samples per neuron, but \(g.name) has \(g.order) elements")
        }
        let elements = try elementsFile.map { try ElementOrder.elementOfRow(path: $0, group: g) }
        if method == .matrices && !g.hasExplicitIrreps {
            diagnostic("irrepscope: note: \(g.name) has no explicit irreps here; using characters")
        }
        let (components, table) = try m.isotypicPowers(group: g, elements: elements, includeTrivial: includeTrivial,
                                                       method: method == .matrices ? .matrices : .characters)
        let out = ByteSink()
        SpectrumRendering.writeDecomposition(m, group: g, components: components, table: table, includeTrivial: includeTrivial,
                                             method: g.hasExplicitIrreps ? method.rawValue : "characters",
                                             elementOrder: elementsFile ?? "default", top: top, bins: bins, format: format, out)
        out.flush()
    }
}
