export { matchName, compileNamePattern, isPattern, patternProblem } from "./match-name.js";
export type { NameMatcher } from "./match-name.js";
export {
  actions,
  isAction,
  compileAccessPolicies,
  authorize,
  describeResource,
} from "./access-policy-set.js";
export type {
  Action,
  AccessPolicyInput,
  AccessRuleInput,
  Caller,
  CompileAccessOptions,
  Decision,
  PolicySet,
  PrincipalInput,
  Resource,
  ResourceKind,
  SourcePosition,
} from "./access-policy-set.js";
export { createDecisionCache, defaultDecisionCacheEntries } from "./decision-cache.js";
export type { DecisionCache, DecisionCacheOptions } from "./decision-cache.js";
export { createQuotaLimiter, defaultBurstSeconds } from "./quota-limiter.js";
export type { QuotaDirection, QuotaInput, QuotaLimiter, QuotaLimits, TakeResult } from "./quota-limiter.js";
export { compileWhen, whenVariables } from "./cel-when.js";
export type { CelPosition, CelProblem, RouteRecord, WhenPredicate } from "./cel-when.js";
export { compileRoutes, route, defaultMirrorPercent, defaultSplitWeight } from "./route-policies.js";
export type { CompiledRoutes, RoutePolicyInput, RouteProblem, RoutedAppend } from "./route-policies.js";
export { runPolicyTests } from "./run-policy-tests.js";
export type {
  AccessCase,
  PolicyTestInput,
  PolicyTestResult,
  RouteCase,
  RunPolicyTestsOptions,
} from "./run-policy-tests.js";
