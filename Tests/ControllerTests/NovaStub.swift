import ControllerCore
import Foundation
import Hummingbird
import NIOCore

/// A tiny Nova and Keystone on 127.0.0.1 for the notifier's tests: it records every event it accepts and answers
/// as `decide` says. Not the Simulation module's fake Nova, so these tests stand alone.
actor NovaStub {
    struct Received: Hashable, Sendable {
        var instance: String
        var tag: String
    }

    /// Per-event codes for a request, or a whole-request status with a body.
    enum Answer: Sendable {
        case codes([Int])
        case status(Int, String)
    }

    private(set) var requests: [[Received]] = []
    private(set) var bodySizes: [Int] = []
    private(set) var tokensIssued = 0
    private(set) var validToken: String?
    var decide: @Sendable ([Received]) -> Answer = { .codes(Array(repeating: 200, count: $0.count)) }
    var bodyLimit = 114_688
    var port = 0

    func setDecide(_ decide: @escaping @Sendable ([Received]) -> Answer) { self.decide = decide }
    func setBodyLimit(_ limit: Int) { bodyLimit = limit }
    /// Keystone "revokes" the current token: Nova answers 401 to it.
    func revokeToken() { validToken = nil }

    func issueToken() -> String {
        tokensIssued += 1
        let token = "token-\(tokensIssued)"
        validToken = token
        return token
    }

    func answer(body: [UInt8], token: String?, keystone: Bool) -> (Int, String) {
        if keystone && (token == nil || token != validToken) { return (401, #"{"error":{"code":401}}"#) }
        guard body.count <= bodyLimit else { return (413, "Request Entity Too Large") }
        bodySizes.append(body.count)
        let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]
        let events = (object?["events"] as? [[String: Any]] ?? []).map {
            Received(instance: $0["server_uuid"] as? String ?? "", tag: $0["tag"] as? String ?? "")
        }
        switch decide(events) {
        case .status(let code, let text):
            return (code, text)
        case .codes(let codes):
            requests.append(zip(events, codes).filter { $0.1 == 200 }.map(\.0))
            let items = zip(events, codes).map { #"{"name":"power-update","server_uuid":"\#($0.instance)","tag":"\#($0.tag)","status":"\#($1 == 200 ? "completed" : "failed")","code":\#($1)}"# }
            return (codes.allSatisfy { $0 == 200 } ? 200 : 207, #"{"events":[\#(items.joined(separator: ","))]}"#)
        }
    }

    var delivered: [Received] { requests.flatMap { $0 } }

    func keystoneBody() -> String {
        #"{"token":{"expires_at":"2099-01-01T13:00:00.000000Z","catalog":[{"type":"compute","endpoints":["#
            + #"{"interface":"public","region_id":"RegionOne","url":"http://192.0.2.1/v2.1"},"#
            + #"{"interface":"internal","region_id":"RegionOne","url":"http://127.0.0.1:\#(port)/v2.1"}]}]}}"#
    }

    func setPort(_ port: Int) { self.port = port }

    /// `GET /v2.1/servers/{id}`: what Nova shows of each instance (`OS-EXT-STS:*`); unknown ones are 404.
    private(set) var servers: [String: NovaInstanceView] = [:]
    private(set) var serverLookups = 0
    func setServer(_ id: String, _ view: NovaInstanceView) { servers[id] = view }

    func serverAnswer(_ id: String) -> (Int, String) {
        serverLookups += 1
        guard let view = servers[id] else { return (404, #"{"itemNotFound":{"code":404,"message":"Instance could not be found."}}"#) }
        let task = view.taskState.map { "\"\($0)\"" } ?? "null"
        return (200, #"{"server":{"id":"\#(id)","status":"ACTIVE","OS-EXT-STS:vm_state":"\#(view.vmState)","#
            + #""OS-EXT-STS:task_state":\#(task),"OS-EXT-STS:power_state":\#(view.powerState)}}"#)
    }

    /// Serves until the returned task is cancelled; `port` 0 picks a free one.
    static func serve(_ stub: NovaStub, port: Int = 0, keystone: Bool = false) async throws -> (Task<Void, any Error>, Int) {
        let router = Router()
        router.post("v2.1/os-server-external-events") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 22)
            let token = request.headers[.init("X-Auth-Token")!]
            let (status, text) = await stub.answer(body: Array(buffer: body), token: token, keystone: keystone)
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            // As keystonemiddleware does: this header is what hangs corelibs URLSession without a delegate.
            if status == 401 { headers[.wwwAuthenticate] = #"Keystone uri="http://127.0.0.1/identity""# }
            return Response(status: .init(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        router.get("v2.1/servers/:id") { _, context -> Response in
            let (status, text) = await stub.serverAnswer(try context.parameters.require("id"))
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            return Response(status: .init(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        router.post("v3/auth/tokens") { _, _ -> Response in
            let token = await stub.issueToken()
            var headers = HTTPFields()
            headers[.init("X-Subject-Token")!] = token
            headers[.contentType] = "application/json"
            return Response(status: .created, headers: headers, body: .init(byteBuffer: ByteBuffer(string: await stub.keystoneBody())))
        }
        let (stream, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)),
                              onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) })
        let task = Task { try await app.runService() }
        var bound = 0
        for await value in stream { bound = value; break }
        await stub.setPort(bound)
        return (task, bound)
    }
}
