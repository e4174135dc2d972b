// The CTyun Cloud Log Service (LTS) SDK for .NET, on the native liblts core (P/Invoke).
// Builds with mono's mcs (C# 7, .NET Framework 4.x APIs only). Items are packed here and
// validated, encoded and sent by liblts.
using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;

namespace Lts
{
    /// <summary>The service's answer.</summary>
    public sealed class Response
    {
        public int StatusCode;
        public string Message = "";
        public string Error = "";
    }

    /// <summary>A failed call: liblts's result code, its name, message, and the answer if any.</summary>
    public sealed class LtsException : Exception
    {
        public int Code { get; private set; }
        public string Name { get; private set; }
        public Response Response { get; private set; }

        public LtsException(int code, string message, Response response = null)
            : base(Native.Name(code) + ": " + message)
        {
            Code = code;
            Name = Native.Name(code);
            Response = response;
        }
    }

    /// <summary>Result codes of lts.h.</summary>
    public static class Result
    {
        public const int Ok = 0, InvalidArgument = 1, InvalidKey = 2, InvalidValue = 3, TooLarge = 4,
            InvalidState = 5, Auth = 100, Network = 101, Timeout = 102, Server = 103, BufferFull = 104,
            Closed = 105, Reentrant = 106, Internal = 900;
    }

    internal static class Native
    {
        const string Lib = "lts";
        internal const uint AbiVersion = 0;

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate void SendCallback(IntPtr userData, IntPtr result);

        [DllImport(Lib)] internal static extern uint lts_abi_version();
        [DllImport(Lib)] internal static extern IntPtr lts_result_name(int r);
        [DllImport(Lib)] internal static extern IntPtr lts_last_error_message();
        [DllImport(Lib)] internal static extern long lts_now_ns();
        [DllImport(Lib)] internal static extern int lts_check_key(byte[] key, [MarshalAs(UnmanagedType.I1)] bool isLabel);
        [DllImport(Lib)] internal static extern int lts_client_config_new(byte[] endpoint, byte[] ak, byte[] sk, byte[] project, out IntPtr cfg);
        [DllImport(Lib)] internal static extern int lts_client_config_set_request_timeout_ms(IntPtr c, uint ms);
        [DllImport(Lib)] internal static extern int lts_client_config_set_retries(IntPtr c, uint n);
        [DllImport(Lib)] internal static extern int lts_client_config_set_user_agent(IntPtr c, byte[] ua);
        [DllImport(Lib)] internal static extern void lts_client_config_free(IntPtr c);
        [DllImport(Lib)] internal static extern int lts_client_new(IntPtr cfg, out ClientHandle client);
        [DllImport(Lib)] internal static extern void lts_client_free(IntPtr client);
        [DllImport(Lib)] internal static extern int lts_put_logs_packed(ClientHandle client, byte[] project, byte[] unit, byte[] buf, UIntPtr len, UIntPtr count, out IntPtr resp);
        [DllImport(Lib)] internal static extern int lts_response_status_code(IntPtr r);
        [DllImport(Lib)] internal static extern IntPtr lts_response_message(IntPtr r);
        [DllImport(Lib)] internal static extern IntPtr lts_response_error(IntPtr r);
        [DllImport(Lib)] internal static extern void lts_response_free(IntPtr r);
        [DllImport(Lib)] internal static extern int lts_producer_config_new(out IntPtr c);
        [DllImport(Lib)] internal static extern int lts_producer_config_set_linger_ms(IntPtr c, uint ms);
        [DllImport(Lib)] internal static extern int lts_producer_config_set_worker_count(IntPtr c, uint n);
        [DllImport(Lib)] internal static extern int lts_producer_config_set_batch_count(IntPtr c, uint n);
        [DllImport(Lib)] internal static extern void lts_producer_config_free(IntPtr c);
        [DllImport(Lib)] internal static extern int lts_producer_new(IntPtr cfg, out ProducerHandle p);
        [DllImport(Lib)] internal static extern int lts_producer_add_client(ProducerHandle p, IntPtr cfg);
        [DllImport(Lib)] internal static extern int lts_producer_start(ProducerHandle p);
        [DllImport(Lib)] internal static extern int lts_producer_send_packed(ProducerHandle p, byte[] project, byte[] unit, byte[] buf, UIntPtr len, UIntPtr count, SendCallback cb, IntPtr userData);
        [DllImport(Lib)] internal static extern int lts_producer_safe_close(ProducerHandle p);
        [DllImport(Lib)] internal static extern int lts_producer_close(ProducerHandle p, uint timeoutMs);
        [DllImport(Lib)] internal static extern void lts_producer_free(IntPtr p);
        [DllImport(Lib)] internal static extern int lts_send_result_code(IntPtr r);
        [DllImport(Lib)] [return: MarshalAs(UnmanagedType.I1)] internal static extern bool lts_send_result_ok(IntPtr r);
        [DllImport(Lib)] internal static extern int lts_send_result_status_code(IntPtr r);
        [DllImport(Lib)] internal static extern IntPtr lts_send_result_error(IntPtr r);
        [DllImport(Lib)] internal static extern IntPtr lts_send_result_message(IntPtr r);
        [DllImport(Lib)] internal static extern UIntPtr lts_send_result_log_count(IntPtr r);
        [DllImport(Lib)] internal static extern uint lts_send_result_attempts(IntPtr r);

        static Native()
        {
            uint abi = lts_abi_version();
            if (abi != AbiVersion)
                throw new DllNotFoundException("liblts ABI version " + abi + ", this binding needs " + AbiVersion);
        }

        internal static byte[] Z(string s)
        {
            if (s == null) return null;
            var b = Encoding.UTF8.GetBytes(s);
            Array.Resize(ref b, b.Length + 1);
            return b;
        }

        internal static string Str(IntPtr p)
        {
            if (p == IntPtr.Zero) return "";
            int n = 0;
            while (Marshal.ReadByte(p, n) != 0) n++;
            var b = new byte[n];
            Marshal.Copy(p, b, 0, n);
            return Encoding.UTF8.GetString(b);
        }

        internal static string Name(int code) { return Str(lts_result_name(code)); }

        /// <summary>Throws for a failed call; liblts's detail is per thread, read right away.</summary>
        internal static void Check(int r)
        {
            if (r != Result.Ok) throw new LtsException(r, Str(lts_last_error_message()));
        }
    }

    internal sealed class ClientHandle : SafeHandle
    {
        ClientHandle() : base(IntPtr.Zero, true) { }
        public override bool IsInvalid { get { return handle == IntPtr.Zero; } }
        protected override bool ReleaseHandle() { Native.lts_client_free(handle); return true; }
    }

    internal sealed class ProducerHandle : SafeHandle
    {
        ProducerHandle() : base(IntPtr.Zero, true) { }
        public override bool IsInvalid { get { return handle == IntPtr.Zero; } }
        protected override bool ReleaseHandle() { Native.lts_producer_free(handle); return true; }
    }

    /// <summary>One log: timestamp (ns) and origin message required; contents and labels are
    /// string, long or double values.</summary>
    public sealed class LogItem
    {
        readonly List<KeyValuePair<string, object>> contents = new List<KeyValuePair<string, object>>();
        readonly List<KeyValuePair<string, object>> labels = new List<KeyValuePair<string, object>>();
        public long TimestampNs;
        public string OriginMsg;

        public LogItem(long timestampNs, string originMsg) { TimestampNs = timestampNs; OriginMsg = originMsg; }

        public static long NowNs() { return Native.lts_now_ns(); }

        static void Push(List<KeyValuePair<string, object>> list, string key, object value, bool label)
        {
            if (key == null) throw new LtsException(Result.InvalidKey, "key is null");
            Native.Check(Native.lts_check_key(Native.Z(key), label));
            if (!(value is string || value is long || value is int || value is double || value is float))
                value = Convert.ToString(value);
            for (int i = 0; i < list.Count; i++)
                if (list[i].Key == key) { list[i] = new KeyValuePair<string, object>(key, value); return; }
            list.Add(new KeyValuePair<string, object>(key, value));
        }

        public LogItem Content(string key, object value) { Push(contents, key, value, false); return this; }
        public LogItem Label(string key, object value) { Push(labels, key, value, true); return this; }

        static void Str(BinaryWriter w, string s)
        {
            var b = Encoding.UTF8.GetBytes(s ?? "");
            w.Write((uint)b.Length);
            w.Write(b);
        }

        static void Fields(BinaryWriter w, List<KeyValuePair<string, object>> fs)
        {
            w.Write((uint)fs.Count);
            foreach (var f in fs)
            {
                if (f.Value is string) { w.Write((byte)0); Str(w, f.Key); Str(w, (string)f.Value); }
                else if (f.Value is long || f.Value is int) { w.Write((byte)1); Str(w, f.Key); w.Write(Convert.ToInt64(f.Value)); }
                else { w.Write((byte)2); Str(w, f.Key); w.Write(Convert.ToDouble(f.Value)); }
            }
        }

        /// <summary>The layout of lts_producer_send_packed (BinaryWriter is little-endian).</summary>
        internal static byte[] Pack(IList<LogItem> items)
        {
            var ms = new MemoryStream();
            using (var w = new BinaryWriter(ms))
            {
                foreach (var it in items)
                {
                    w.Write(it.TimestampNs);
                    Str(w, it.OriginMsg);
                    Fields(w, it.contents);
                    Fields(w, it.labels);
                }
            }
            return ms.ToArray();
        }
    }

    /// <summary>The official SDK's ClientConfig.</summary>
    public sealed class ClientConfig
    {
        public string Endpoint, AccessKey, SecretKey, LogProject;
        public uint RequestTimeoutMs = 30000;
        public uint Retries = 3;
        public string UserAgent = "lts-sdk-dotnet/0.1.0";

        public ClientConfig(string endpoint, string accessKey, string secretKey, string logProject)
        {
            Endpoint = endpoint; AccessKey = accessKey; SecretKey = secretKey; LogProject = logProject;
        }

        /// <summary>A native config; the caller frees it.</summary>
        internal IntPtr Native_()
        {
            IntPtr c;
            Native.Check(Native.lts_client_config_new(Native.Z(Endpoint), Native.Z(AccessKey), Native.Z(SecretKey), Native.Z(LogProject ?? ""), out c));
            try
            {
                Native.Check(Native.lts_client_config_set_request_timeout_ms(c, RequestTimeoutMs));
                Native.Check(Native.lts_client_config_set_retries(c, Retries));
                Native.Check(Native.lts_client_config_set_user_agent(c, Native.Z(UserAgent)));
            }
            catch { Native.lts_client_config_free(c); throw; }
            return c;
        }
    }

    /// <summary>The official SDK's LogClient. Thread-safe; dispose to free it.</summary>
    public sealed class LogClient : IDisposable
    {
        readonly ClientHandle h;

        public LogClient(ClientConfig config)
        {
            IntPtr c = config.Native_();
            try { Native.Check(Native.lts_client_new(c, out h)); }
            finally { Native.lts_client_config_free(c); }
        }

        /// <summary>Sends now; an answer with an error code throws LtsException (Code Server)
        /// carrying the answer.</summary>
        public Response PutLogs(string project, string unit, IList<LogItem> items)
        {
            if (h.IsClosed) throw new LtsException(Result.InvalidState, "the client is disposed");
            byte[] buf = LogItem.Pack(items);
            IntPtr resp;
            int r = Native.lts_put_logs_packed(h, Native.Z(project), Native.Z(unit), buf, (UIntPtr)buf.Length, (UIntPtr)items.Count, out resp);
            string detail = r != Result.Ok ? Native.Str(Native.lts_last_error_message()) : "";
            Response answer = null;
            if (resp != IntPtr.Zero)
            {
                answer = new Response
                {
                    StatusCode = Native.lts_response_status_code(resp),
                    Message = Native.Str(Native.lts_response_message(resp)),
                    Error = Native.Str(Native.lts_response_error(resp)),
                };
                Native.lts_response_free(resp);
            }
            if (r != Result.Ok) throw new LtsException(r, detail, answer);
            return answer;
        }

        public void Dispose() { h.Dispose(); }
    }

    /// <summary>The outcome of one Send.</summary>
    public sealed class SendResult
    {
        public int Code, StatusCode;
        public bool Ok;
        public string Error = "", Message = "";
        public long LogCount;
        public uint Attempts;
    }

    public sealed class ProducerConfig
    {
        public uint LingerMs = 2000, WorkerCount = 8, BatchCount = 4096;
    }

    /// <summary>The asynchronous producer. Callbacks run once per accepted send, on liblts's
    /// callback thread. Dispose closes with timeout 0 if it is still open.</summary>
    public sealed class Producer : IDisposable
    {
        // One delegate for every producer, held by a static field so the GC never collects
        // it while C holds its pointer; each send's callback travels as a GCHandle that its
        // single invocation frees.
        static readonly Native.SendCallback Trampoline = OnResult;
        readonly ProducerHandle h;

        public Producer(ProducerConfig config)
        {
            IntPtr c;
            Native.Check(Native.lts_producer_config_new(out c));
            try
            {
                Native.Check(Native.lts_producer_config_set_linger_ms(c, config.LingerMs));
                Native.Check(Native.lts_producer_config_set_worker_count(c, config.WorkerCount));
                Native.Check(Native.lts_producer_config_set_batch_count(c, config.BatchCount));
                Native.Check(Native.lts_producer_new(c, out h));
            }
            finally { Native.lts_producer_config_free(c); }
        }

        public void AddClient(ClientConfig config)
        {
            IntPtr c = config.Native_();
            try { Native.Check(Native.lts_producer_add_client(Handle(), c)); }
            finally { Native.lts_client_config_free(c); }
        }

        public void Start() { Native.Check(Native.lts_producer_start(Handle())); }

        ProducerHandle Handle()
        {
            if (h.IsClosed) throw new LtsException(Result.Closed, "the producer is disposed");
            return h;
        }

        static void OnResult(IntPtr userData, IntPtr r)
        {
            var gc = GCHandle.FromIntPtr(userData);
            var cb = (Action<SendResult>)gc.Target;
            gc.Free();
            try
            {
                cb(new SendResult
                {
                    Code = Native.lts_send_result_code(r),
                    Ok = Native.lts_send_result_ok(r),
                    StatusCode = Native.lts_send_result_status_code(r),
                    Error = Native.Str(Native.lts_send_result_error(r)),
                    Message = Native.Str(Native.lts_send_result_message(r)),
                    LogCount = (long)Native.lts_send_result_log_count(r).ToUInt64(),
                    Attempts = Native.lts_send_result_attempts(r),
                });
            }
            catch (Exception) { } // must not unwind into C
        }

        /// <summary>Queues logs; `callback` (may be null) runs exactly once if this returns.</summary>
        public void Send(string project, string unit, IList<LogItem> items, Action<SendResult> callback)
        {
            byte[] buf = LogItem.Pack(items);
            IntPtr ud = callback == null ? IntPtr.Zero : GCHandle.ToIntPtr(GCHandle.Alloc(callback));
            int r = Native.lts_producer_send_packed(Handle(), Native.Z(project), Native.Z(unit), buf, (UIntPtr)buf.Length,
                (UIntPtr)items.Count, callback == null ? null : Trampoline, ud);
            if (r != Result.Ok)
            {
                string detail = Native.Str(Native.lts_last_error_message());
                if (ud != IntPtr.Zero) GCHandle.FromIntPtr(ud).Free();
                throw new LtsException(r, detail);
            }
        }

        public void SafeClose() { Native.Check(Native.lts_producer_safe_close(Handle())); }

        /// <summary>True if everything was sent in time; false if the rest was reported Closed.</summary>
        public bool Close(uint timeoutMs)
        {
            int r = Native.lts_producer_close(Handle(), timeoutMs);
            if (r == Result.Timeout) return false;
            Native.Check(r);
            return true;
        }

        public void Dispose() { h.Dispose(); }
    }
}
