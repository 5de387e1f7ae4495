// swift-tools-version: 6.1
import PackageDescription

let strictSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "ferrum",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "ferrum", targets: ["ferrum"]),
        .library(name: "IPMI", targets: ["IPMI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", exact: "4.5.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/vapor/sqlite-nio.git", from: "1.13.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // Wire codec, RMCP+ crypto and both session state machines. Pure: no sockets, clocks or global randomness.
        .target(
            name: "IPMI",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        // The pure side of virtual BMCs: chassis model, fault profiles, one BMC as a value, the fleet file format.
        .target(
            name: "VirtualBMCCore",
            dependencies: ["IPMI", .product(name: "Yams", package: "Yams")],
            swiftSettings: strictSettings
        ),
        // The shells: UDP endpoints serving a fleet, and its management HTTP API.
        .target(
            name: "VirtualBMC",
            dependencies: [
                "IPMI", "VirtualBMCCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // The controller's shells: BMC client (one UDP socket), node actors, the power sync supervisor, the SQLite
        // store and the service that runs them.
        .target(
            name: "Controller",
            dependencies: [
                "IPMI", "ControllerCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        // The controller's pure core: node model, power actions, Ironic's power sync decisions, the config file.
        .target(name: "ControllerCore", dependencies: [], swiftSettings: strictSettings),
        // Virtual time and a seeded, lossy in-memory network for deterministic runs.
        .target(
            name: "Simulation",
            dependencies: [
                "IPMI", "VirtualBMCCore", "ControllerCore", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strictSettings
        ),
        // `--live` scenarios: the same Scenario over real UDP and HTTP on loopback (fleet, controller, API, fake Nova).
        .target(
            name: "ScenarioLive",
            dependencies: [
                "IPMI", "Controller", "ControllerCore", "VirtualBMC", "VirtualBMCCore", "Simulation",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // Benchmarks run by `ferrum bench`; results go to docs/benchmarks.md, never into timed tests.
        .target(
            name: "FerrumBenchmarks",
            dependencies: ["IPMI", "Controller", "ControllerCore", "VirtualBMC", "VirtualBMCCore", "Simulation"],
            path: "Benchmarks/FerrumBenchmarks",
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "ferrum",
            dependencies: [
                "IPMI", "VirtualBMC", "VirtualBMCCore", "Controller", "ControllerCore", "Simulation", "FerrumBenchmarks",
                "ScenarioLive",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "IPMITests",
            dependencies: ["IPMI"],
            resources: [.copy("Vectors")],
            swiftSettings: strictSettings
        ),
        .testTarget(name: "SimulationTests", dependencies: ["IPMI", "Simulation", "VirtualBMCCore", "ControllerCore", "TestSupport"], swiftSettings: strictSettings),
        .testTarget(name: "VirtualBMCCoreTests", dependencies: ["IPMI", "VirtualBMCCore"], swiftSettings: strictSettings),
        .testTarget(name: "ControllerCoreTests", dependencies: ["ControllerCore"], swiftSettings: strictSettings),
        .testTarget(
            name: "ControllerTests",
            dependencies: [
                "IPMI", "Controller", "ControllerCore", "VirtualBMC", "VirtualBMCCore", "TestSupport", "Simulation",
                "ScenarioLive",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: strictSettings
        ),
        // Test helpers shared by the targets that start fleets or run external programs.
        .target(
            name: "TestSupport",
            dependencies: [
                "VirtualBMC", "VirtualBMCCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Tests/TestSupport",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "VirtualBMCTests",
            dependencies: ["IPMI", "VirtualBMC", "VirtualBMCCore", "Controller", "TestSupport"],
            exclude: ["Fixtures"],
            swiftSettings: strictSettings
        ),
    ]
)
