/** Polls until `check` holds; the verdict is the condition, the 10 s limit only ends a broken run. */
export async function until(check: () => boolean): Promise<void> {
  for (let waited = 0; !check(); waited += 10) {
    if (waited > 10_000) throw new Error('condition not reached within 10 s')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}
