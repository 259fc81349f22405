// Bearer-token checks (proto/PROTOCOL.md §13): worker and admin token sets, compared
// in constant time so response timing does not reveal how much of a guess was right.

/// The bearer tokens a server accepts.
public struct TokenSets: Sendable, Equatable {
    /// Tokens allowed on worker routes.
    public var worker: [String]
    /// Tokens allowed on worker and admin routes.
    public var admin: [String]
    public init(worker: [String] = [], admin: [String] = []) {
        self.worker = worker
        self.admin = admin
    }
}

/// Outcome of checking one request's `authorization` header against a route.
enum AuthOutcome: Equatable {
    case allowed(AuthClass)
    case unauthenticated(String)
    case permissionDenied(String)
}

enum Auth {
    /// Compares every byte of both strings (padding the shorter), so timing depends only on lengths.
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var diff = UInt8(truncatingIfNeeded: x.count ^ y.count) | (x.count == y.count ? 0 : 1)
        let n = max(x.count, y.count)
        for i in 0..<n {
            diff |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0)
        }
        return diff == 0
    }

    /// True when `token` equals any of `set`; every entry is compared (no early exit).
    static func matches(_ token: String, _ set: [String]) -> Bool {
        var found = false
        for t in set where constantTimeEqual(token, t) { found = true }
        return found
    }

    /// Whether a request for an unknown method under the RPC prefix may learn that it is
    /// unknown (UNIMPLEMENTED): only with a valid token, or when the server has no tokens at
    /// all. Otherwise it gets UNAUTHENTICATED, like any RPC, so method names cannot be probed.
    static func mayLearnUnknownMethod(_ authorization: String?, tokens: TokenSets) -> Bool {
        if tokens.worker.isEmpty && tokens.admin.isEmpty { return true }
        if case .allowed = check(authorization, route: .worker, tokens: tokens) { return true }
        return false
    }

    /// Checks an `authorization` header value against a route's class.
    static func check(_ authorization: String?, route: AuthClass, tokens: TokenSets) -> AuthOutcome {
        if route == .none { return .allowed(.none) }
        guard let authorization else { return .unauthenticated("missing authorization header") }
        let prefix = "Bearer "
        guard authorization.hasPrefix(prefix), authorization.count > prefix.count else {
            return .unauthenticated("authorization header is not 'Bearer <token>'")
        }
        let token = String(authorization.dropFirst(prefix.count))
        let isAdmin = matches(token, tokens.admin)
        let isWorker = matches(token, tokens.worker)
        switch route {
        case .none: return .allowed(.none)
        case .worker:
            if isAdmin { return .allowed(.admin) }
            return isWorker ? .allowed(.worker) : .unauthenticated("unknown bearer token")
        case .admin:
            if isAdmin { return .allowed(.admin) }
            return isWorker ? .permissionDenied("this route needs an admin token")
                            : .unauthenticated("unknown bearer token")
        }
    }
}
