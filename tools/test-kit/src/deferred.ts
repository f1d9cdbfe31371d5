/**
 * A promise with its settle functions exposed, for tests that hold an exchange open and settle it later.
 *
 * @example
 * ```ts
 * const gate = deferred<TokenResult>()
 * engine.respond = () => gate.promise
 * gate.resolve(token)
 * ```
 */
export function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: unknown) => void } {
  let resolve!: (value: T) => void
  let reject!: (error: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}
