// GlitchBucket: the token bucket behind our "glitch" limit (TRANSPORT.md "Limits"):
// every RST_STREAM we send and every invalid frame we receive takes one token;
// tokens come back at a fixed rate up to the burst. An empty bucket means the peer
// is making us do useless work (MadeYouReset and friends) → GOAWAY(ENHANCE_YOUR_CALM).

/// A token bucket driven by an explicit clock (seconds), so tests need no wall time.
struct GlitchBucket {
    let burst: Double
    let perSecond: Double
    private(set) var tokens: Double
    private var last: Double

    init(burst: Double, perSecond: Double, now: Double) {
        self.burst = burst
        self.perSecond = perSecond
        self.tokens = burst
        self.last = now
    }

    /// Refills for the time since the last call, then takes one token.
    /// - Returns: false when no whole token was left (the limit is exceeded).
    mutating func take(now: Double) -> Bool {
        if now > last {
            tokens = min(burst, tokens + (now - last) * perSecond)
            last = now
        }
        if tokens >= 1 {
            tokens -= 1
            return true
        }
        return false
    }
}
