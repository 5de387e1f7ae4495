import ArgumentParser

@main
struct Ferrum: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ferrum",
        abstract: "Power control for bare-metal fleets over IPMI v2.0 (RMCP+), with a bundled virtual BMC.",
        subcommands: [Demo.self, Serve.self, NodeCommand.self, BMC.self, IPMICommand.self, Bench.self, NovaSim.self, ScenarioCommand.self]
    )
}
