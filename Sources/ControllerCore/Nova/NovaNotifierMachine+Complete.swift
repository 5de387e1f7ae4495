/// Reading a request's outcome: per-event codes by position, or a whole-request failure (docs/nova-notifier.md).
extension NovaNotifierMachine {
    mutating func complete(_ result: NovaRequestResult, _ step: inout Step, _ random: inout some RandomNumberGenerator) {
        let batch = inFlight
        inFlight = []
        phase = .idle
        switch result {
        case .perEvent(let codes) where codes.count == batch.count:
            succeeded(&step)
            settle(batch, codes, &step, &random)
        case .perEvent(let codes):
            failed(batch, .invalidResponse("\(codes.count) results for \(batch.count) events"), &step, &random)
        case .failed(let failure):
            failed(batch, failure, &step, &random)
        }
        if shuttingDown {
            stop(&step)
        } else {
            // Events that arrived while the request was out may have more behind them: unless they fill a batch,
            // they wait a window. Events that were already waiting go at once.
            pump(immediate: !(configuration.fillsBatches && arrivedSinceLastLook), &step)
        }
    }

    mutating func succeeded(_ step: inout Step) {
        failures = 0
        reauthenticated = false
        if configurationErrorActive {
            configurationErrorActive = false
            step.others.append(.clearConfigurationError)
        }
    }

    mutating func settle(_ batch: [Entry], _ codes: [Int], _ step: inout Step, _ random: inout some RandomNumberGenerator) {
        var retries: [Int: [Entry]] = [:]
        for (entry, code) in zip(batch, codes) {
            switch code {
            case 200:
                step.settlements.append(NovaSettlement(event: entry.event, outcome: .delivered, severity: .info))
            case 404:
                step.drop(entry, NovaDropReason.instanceNotFound, .info)
            case 400:
                step.drop(entry, NovaDropReason.eventRejected, .error)
            default:
                // 422 (no host yet) and codes Nova does not document: retried a bounded number of times.
                if let newer = ready[entry.event.instance] {
                    step.drop(entry, NovaDropReason.superseded(by: newer.event.id), .info)
                    continue
                }
                var retry = entry
                retry.attempts += 1
                if retry.attempts > configuration.maxNoHostRetries {
                    step.drop(retry, NovaDropReason.gaveUp(code: code, attempts: retry.attempts), .error)
                } else {
                    retries[retry.attempts, default: []].append(retry)
                }
            }
        }
        for (attempts, entries) in retries.sorted(by: { $0.key < $1.key }) {
            let token = makeToken()
            for entry in entries { parked[entry.event.instance] = (entry, token) }
            parkTimers[token] = entries.map(\.event.instance)
            let delay = NovaBackOff.delay(failures: attempts, base: configuration.noHostRetryDelay, cap: configuration.backOffCap, using: &random)
            step.others.append(.startTimer(token, after: delay))
        }
    }

    mutating func failed(_ batch: [Entry], _ failure: NovaRequestFailure, _ step: inout Step, _ random: inout some RandomNumberGenerator) {
        switch failure {
        case .status(413, _) where batch.count == 1:
            step.drop(batch[0], NovaDropReason.tooLargeAlone, .error)
        case .status(413, _):
            // Nova's limit is below ours: remember it, and resend this batch as two halves.
            learnedMaxEvents = min(maxEvents, (batch.count + 1) / 2)
            split(batch, &step)
        case .status(400, let body) where batch.count == 1:
            step.drop(batch[0], NovaDropReason.requestRejected(body), .error)
        case .status(400, _):
            // A schema error sinks the whole request: bisect until the bad event is alone.
            split(batch, &step)
        case .status(401, _):
            for entry in batch { requeue(entry, &step) }
            if reauthenticated {
                failures += 1
                backOff(jittered(&random), thenAuthenticate: true, &step)
            } else {
                reauthenticated = true
                phase = .authenticating
                step.others.append(.authenticate)
            }
        case .status(let code, let body) where (300..<500).contains(code) && code != 408 && code != 429:
            for entry in batch { requeue(entry, &step) }
            failures += 1
            configurationErrorActive = true
            step.others.append(.reportConfigurationError(Self.configurationError(code, body)))
            // Retrying sooner cannot help: an operator has to act.
            backOff(configuration.backOffCap, thenAuthenticate: false, &step)
        default:
            // Timeout, refused, transport, 5xx, 408, 429, unreadable response: transient.
            for entry in batch { requeue(entry, &step) }
            failures += 1
            backOff(jittered(&random), thenAuthenticate: false, &step)
        }
    }

    mutating func split(_ batch: [Entry], _ step: inout Step) {
        for entry in batch { requeue(entry, &step) }
        let half = (batch.count + 1) / 2
        let instances = batch.map(\.event.instance)
        splitGroups.insert(contentsOf: [Array(instances[..<half]), Array(instances[half...])], at: 0)
    }

    func jittered(_ random: inout some RandomNumberGenerator) -> Duration {
        NovaBackOff.delay(failures: failures, base: configuration.backOffBase, cap: configuration.backOffCap, using: &random)
    }

    static func configurationError(_ code: Int, _ body: String) -> String {
        let detail = body.isEmpty ? "" : " Nova said: \(body)"
        switch code {
        case 403:
            return "Nova refused power-update events (HTTP 403): the notifier's user needs the admin or service role"
                + " (policy os_compute_api:os-server-external-events:create).\(detail)"
        case 406:
            return "Nova does not support microversion 2.76 (HTTP 406): Nova 20.0.0 (Train) or later is required.\(detail)"
        default:
            return "Nova answered HTTP \(code) to POST os-server-external-events: check the compute endpoint.\(detail)"
        }
    }
}
