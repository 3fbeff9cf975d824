// signals.js -- one "abort" listener per AbortSignal, however many of a
// pool's calls it serves: a long-lived signal shared by thousands of
// calls in flight neither piles up listeners nor trips Node's
// MaxListenersExceededWarning (more than 10 listeners on one target).
export class AbortWatch {
	// onAbort(req) for each call watched when its signal aborts.
	constructor(onAbort) {
		this.onAbort = onAbort;
		this.watched = new Map();	// signal -> { reqs, listener }
	}

	add(signal, req) {
		let w = this.watched.get(signal);
		if (w === undefined) {
			const reqs = new Set();
			const listener = () => {
				this.watched.delete(signal);
				for (const r of reqs)
					this.onAbort(r);
			};
			w = { reqs, listener };
			this.watched.set(signal, w);
			signal.addEventListener('abort', listener, { once: true });
		}
		w.reqs.add(req);
	}

	// req has ended: the listener goes with the signal's last call.
	delete(signal, req) {
		const w = this.watched.get(signal);
		if (w === undefined || !w.reqs.delete(req))
			return;
		if (w.reqs.size === 0) {
			this.watched.delete(signal);
			signal.removeEventListener('abort', w.listener);
		}
	}
}
