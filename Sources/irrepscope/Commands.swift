import ArgumentParser

/// Every subcommand of `irrepscope`, in the order `--help` lists them.
let commandList: [ParsableCommand.Type] = [
    SpectrumCommand.self,
    HistogramCommand.self,
    InspectCommand.self,
    ConvertCommand.self,
]
