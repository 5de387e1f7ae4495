import IPMI

/// An RMCP+ session to one BMC: the thin async shell around `ConsoleStateMachine`.
///
/// It performs the machine's actions (send, start timer, resume callers) and feeds back datagrams and timer
/// expiries. Time comes from the injected clock, so the same code runs over UDP in real time and over a
/// simulated network in virtual time.
public actor IPMIClientSession {
    private var machine: ConsoleStateMachine
    private var entropy: any RandomNumberGenerator & Sendable
    private let transport: any DatagramTransport
    private let clock: any Clock<Duration>
    private var establishment: CheckedContinuation<SessionSummary, any Error>?
    private var pending: [RequestToken: CheckedContinuation<IPMIResponse, any Error>] = [:]
    private var closeWaiters: [CheckedContinuation<Void, Never>] = []
    /// Timers run on a coarse tick rather than a task per timer: the machine re-arms its one timer on every request,
    /// and a sleeping task per arm costs more than the request itself.
    private let tick: Duration
    private var tickerTask: Task<Void, Never>?
    private var elapsedTicks: UInt64 = 0
    private var armed: (token: TimerToken, dueTick: UInt64)?
    private var receiveTask: Task<Void, Never>?
    public private(set) var summary: SessionSummary?
    public private(set) var failure: ConsoleError?

    public init(transport: any DatagramTransport, configuration: ConsoleConfiguration,
                clock: any Clock<Duration> = ContinuousClock(),
                entropy: any RandomNumberGenerator & Sendable = SystemRandomNumberGenerator()) {
        self.machine = ConsoleStateMachine(configuration: configuration)
        self.tick = max(.milliseconds(1), min(.milliseconds(100), configuration.retransmitInterval / 5))
        self.transport = transport
        self.clock = clock
        self.entropy = entropy
    }

    /// Connects over UDP and completes the handshake.
    public static func connect(host: String, port: Int, configuration: ConsoleConfiguration) async throws -> IPMIClientSession {
        let session = IPMIClientSession(transport: try await UDPTransport.connect(host: host, port: port), configuration: configuration)
        do {
            try await session.establish()
        } catch {
            await session.shutdown()
            throw error
        }
        return session
    }

    /// Runs discovery and the RMCP+ handshake; returns what was negotiated.
    @discardableResult
    public func establish() async throws -> SessionSummary {
        if let summary { return summary }
        if let failure { throw failure }
        startReceiving()
        return try await withCheckedThrowingContinuation { continuation in
            establishment = continuation
            perform(withEntropy { machine.start(entropy: &$0) })
        }
    }

    /// Sends one request in the session and waits for its response (whatever its completion code).
    public func send(_ request: IPMIRequest) async throws -> IPMIResponse {
        try await withCheckedThrowingContinuation { continuation in
            let (token, actions) = withEntropy { machine.enqueue(request, entropy: &$0) }
            pending[token] = continuation
            perform(actions)
        }
    }

    /// Sends Close Session and waits for the BMC's answer (or its timeout), then releases the socket.
    public func close() async {
        if !machine.isFinished {
            await withCheckedContinuation { continuation in
                closeWaiters.append(continuation)
                perform(withEntropy { machine.close(entropy: &$0) })
            }
        }
        await shutdown()
    }

    public var ignoredDatagrams: Int { machine.ignoredDatagrams }

    // MARK: Shell

    private func startReceiving() {
        guard receiveTask == nil else { return }
        let inbound = transport.inbound
        receiveTask = Task { [weak self] in
            for await datagram in inbound {
                await self?.receive(datagram)
            }
        }
    }

    private func receive(_ datagram: [UInt8]) {
        perform(withEntropy { machine.receive(datagram, entropy: &$0) })
    }

    private func timerFired(_ token: TimerToken) {
        perform(withEntropy { machine.timerFired(token, entropy: &$0) })
    }

    private func withEntropy<T>(_ body: (inout any RandomNumberGenerator & Sendable) -> T) -> T {
        body(&entropy)
    }

    private func perform(_ actions: [ConsoleAction]) {
        for action in actions {
            switch action {
            case .send(let bytes):
                transport.send(bytes)
            case .startTimer(let token, let delay):
                // The machine keeps one live timer; a new one supersedes the old.
                armed = (token, elapsedTicks + max(1, UInt64((delay / tick).rounded(.up))))
                startTicker()
            case .established(let summary):
                self.summary = summary
                establishment?.resume(returning: summary)
                establishment = nil
            case .completed(let token, let result):
                pending.removeValue(forKey: token)?.resume(with: result)
            case .failed(let error):
                failure = error
                establishment?.resume(throwing: error)
                establishment = nil
                finishWaiters()
            case .closed:
                finishWaiters()
            }
        }
    }

    private func startTicker() {
        guard tickerTask == nil else { return }
        let clock = self.clock, tick = self.tick
        tickerTask = Task { [weak self] in
            while true {
                do { try await clock.sleep(for: tick) } catch { return }
                guard let self else { return }
                await self.onTick()
            }
        }
    }

    private func onTick() {
        elapsedTicks += 1
        guard let due = armed, due.dueTick <= elapsedTicks else { return }
        armed = nil
        timerFired(due.token)
    }

    private func stopTicker() {
        tickerTask?.cancel()
        tickerTask = nil
        armed = nil
    }

    private func finishWaiters() {
        stopTicker()
        for waiter in closeWaiters { waiter.resume() }
        closeWaiters.removeAll()
    }

    private func shutdown() async {
        stopTicker()
        receiveTask?.cancel()
        await transport.close()
    }
}
