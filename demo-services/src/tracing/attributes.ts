/** Span attribute names and outcomes: the event contract (@eventscope/contract, docs/event-contract.md). */
export { ATTR, type DeclaredOutcome as Outcome } from '@eventscope/contract';
