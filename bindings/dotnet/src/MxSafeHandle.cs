// MxSafeHandle.cs - the HCLIENT of an MX resolver.
//
// Release: ReleaseHandle (through InetSafeHandle) calls MxDestroy, which
// mx.h documents as "Thread: any": it cancels whatever is in flight without
// firing any event and frees the handle, and a call blocked on the handle in
// another thread returns Canceled. So it is safe on the finalizer thread, and
// while another thread is inside a call on the handle, whatever the handle's
// owner thread.
//
// FREETHREAD: MxResolver creates its handles with MX_OPTION_FREETHREAD
// unless told otherwise. The finalizer does not need it (MxDestroy and
// MxInterrupt work from any thread on any handle), but idiomatic .NET code
// does not stay on one thread: an await continuation, a thread-pool timer,
// Parallel.ForEach or a Task that pumps Wait all call in from threads other
// than the creator's, and a thread-affine handle would fail them with
// WrongThread. With FREETHREAD the library serialises the calls instead (a
// call waits while another thread is inside a blocking one; only a second
// synchronous MxResolve fails with Busy instead of queueing behind the first,
// so concurrent lookups belong in the asynchronous mode or on one resolver
// per thread), and the events still fire only on the thread inside the call
// that delivers them (Resolve, DoEvents, Wait, NextResult). MxOptions.None
// gives the thread-affine handle for code that wants the check.
using System;

namespace Inetkit
{
    /// <summary>The HCLIENT of an MX resolver (MxCreate). Released with
    /// MxDestroy; interrupted and handed over with MxInterrupt and MxAttachThread.</summary>
    public sealed class MxSafeHandle : InetSafeHandle
    {
        /// <summary>Taken while (un)registering the native callbacks.</summary>
        internal readonly object CallbackLock = new object();

        // The delegates whose function pointers the library holds while they
        // are registered. The SafeHandle is alive during every call that can
        // run them (Invoke keeps a reference), so they are too; they are
        // replaced only after the call that unregisters them has returned.
        internal NativeMethods.MXRESPONSEPROC ResponseProc;
        internal NativeMethods.MXERRORPROC ErrorProc;

        internal MxSafeHandle()
        {
        }

        internal override uint NativeDisconnect(IntPtr h)
        {
            return NativeMethods.MxDestroy(h);
        }

        internal override uint NativeCancel(IntPtr h)
        {
            return NativeMethods.MxInterrupt(h);
        }

        internal override uint NativeAttachThread(IntPtr h, uint threadId)
        {
            return NativeMethods.MxAttachThread(h, threadId);
        }

        internal override InetException ErrorFor(uint rc)
        {
            return MxException.FromCode((InetErrorCode)rc, InetException.LastErrorMessage());
        }
    }
}
