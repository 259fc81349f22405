// Tolerant decoding of ObjectiveConfig: a key missing from the JSON keeps its default, so
// configurations recorded before a setting existed (batch metadata, checkpoints, experiment
// files) still load, and `staleness_cap` (the old name of `mask_staleness_above`) is read. Unknown
// keys are ignored as before; a present key of the wrong type is an error.

extension ObjectiveConfig {
    package init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        var o = ObjectiveConfig()
        func read<T: Decodable>(_ p: WritableKeyPath<ObjectiveConfig, T>, _ k: CodingKeys) throws {
            if let v = try c.decodeIfPresent(T.self, forKey: k) { o[keyPath: p] = v }
        }
        func read<T: Decodable>(_ p: WritableKeyPath<ObjectiveConfig, T?>, _ k: CodingKeys) throws {
            if let v = try c.decodeIfPresent(T.self, forKey: k) { o[keyPath: p] = v }
        }
        try read(\.name, .name); try read(\.advantage, .advantage); try read(\.epsStd, .epsStd)
        try read(\.reference, .reference); try read(\.ratioLevel, .ratioLevel)
        try read(\.sequenceGradient, .sequenceGradient); try read(\.logRatioClamp, .logRatioClamp)
        try read(\.bound, .bound); try read(\.clipLow, .clipLow); try read(\.clipHigh, .clipHigh)
        try read(\.dualClip, .dualClip); try read(\.etrAlpha, .etrAlpha); try read(\.etrGroupScale, .etrGroupScale)
        try read(\.mhpoKappa, .mhpoKappa); try read(\.mhpoEtaUp, .mhpoEtaUp); try read(\.mhpoEtaDown, .mhpoEtaDown)
        try read(\.mhpoShapeUp, .mhpoShapeUp); try read(\.mhpoShapeDown, .mhpoShapeDown)
        try read(\.lambda0, .lambda0); try read(\.delta, .delta); try read(\.etaLambda, .etaLambda)
        try read(\.lambdaMin, .lambdaMin); try read(\.lambdaMax, .lambdaMax); try read(\.variance, .variance)
        try read(\.dualRule, .dualRule); try read(\.varianceEMA, .varianceEMA); try read(\.weight, .weight)
        try read(\.weightLevel, .weightLevel); try read(\.tisCap, .tisCap); try read(\.misLow, .misLow)
        try read(\.misHigh, .misHigh); try read(\.rhoBar, .rhoBar); try read(\.maskStalenessAbove, .maskStalenessAbove)
        try read(\.aggregation, .aggregation); try read(\.lengthNorm, .lengthNorm); try read(\.klCoef, .klCoef)
        try read(\.entropyCoef, .entropyCoef); try read(\.previousKL, .previousKL); try read(\.mdpoStep, .mdpoStep)
        try read(\.mdpoAnnealSteps, .mdpoAnnealSteps); try read(\.mdpoMinFraction, .mdpoMinFraction)
        try read(\.dynamicSampling, .dynamicSampling); try read(\.d3sSampleKeep, .d3sSampleKeep)
        try read(\.d3sTokenKeep, .d3sTokenKeep); try read(\.d3sScheduleSteps, .d3sScheduleSteps)
        try read(\.capoThreshold, .capoThreshold); try read(\.alpSigma0, .alpSigma0)
        try read(\.alpPerturbLR, .alpPerturbLR); try read(\.alpLearnable, .alpLearnable)
        try read(\.epoSmoothing, .epoSmoothing); try read(\.epoBand, .epoBand); try read(\.epoHistory, .epoHistory)
        try read(\.epoPhaseSteps, .epoPhaseSteps); try read(\.empgK, .empgK); try read(\.empgFutureK, .empgFutureK)
        try read(\.empgZeta, .empgZeta); try read(\.dcpoAlpha, .dcpoAlpha)
        try read(\.dcpoTargetEntropy, .dcpoTargetEntropy); try read(\.dcpoTargetRatio, .dcpoTargetRatio)
        try read(\.dcpoTwoSided, .dcpoTwoSided)
        try read(\.safe, .safe); try read(\.safeThreshold, .safeThreshold); try read(\.safeEntropyFloor, .safeEntropyFloor)
        try read(\.safeKp, .safeKp); try read(\.safeKi, .safeKi); try read(\.safeKd, .safeKd)
        try read(\.safePenaltyScale, .safePenaltyScale); try read(\.ratioNorm, .ratioNorm)
        try read(\.calibrationAdvantage, .calibrationAdvantage); try read(\.calibrationMargin, .calibrationMargin)
        try read(\.oblrBaseline, .oblrBaseline); try read(\.oblrLR, .oblrLR); try read(\.oblrLRMin, .oblrLRMin)
        try read(\.oblrSNREMA, .oblrSNREMA); try read(\.adoraLambda, .adoraLambda); try read(\.pipoBeta, .pipoBeta)
        try read(\.pipoWindow, .pipoWindow); try read(\.ghpoStages, .ghpoStages)
        try read(\.sftCoef, .sftCoef); try read(\.offlineWeight, .offlineWeight)
        // Configurations recorded before the rename carry `staleness_cap` (same meaning).
        let legacy = try decoder.container(keyedBy: LegacyKeys.self)
        if !c.contains(.maskStalenessAbove), let v = try legacy.decodeIfPresent(Int.self, forKey: .stalenessCap) {
            o.maskStalenessAbove = v
        }
        self = o
    }

    /// Keys of earlier versions that decoding still reads.
    enum LegacyKeys: String, CodingKey {
        case stalenessCap = "staleness_cap"
    }
}
