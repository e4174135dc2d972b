// The CTyun Cloud Log Service (LTS) SDK for .NET, on the native liblts core (P/Invoke).
// Builds with mono's mcs -unsafe (C# 7, .NET Framework 4.x APIs only). Items are packed here and
// validated, encoded and sent by liblts.
using System;
using System.Collections.Generic;
using System.Diagnostics;
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
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate void LogCallback(IntPtr userData, int level, IntPtr message);
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate void StatsCallback(IntPtr userData, IntPtr json);

        [DllImport(Lib)] internal static extern uint lts_abi_version();
        [DllImport(Lib)] internal static extern IntPtr lts_result_name(int r);
        [DllImport(Lib)] internal static extern IntPtr lts_last_error_message();
        [DllImport(Lib)] internal static extern long lts_now_ns();
        [DllImport(Lib)] internal static extern int lts_check_key(byte[] key, [MarshalAs(UnmanagedType.I1)] bool isLabel);
        [DllImport(Lib)] internal static extern int lts_client_config_new(byte[] endpoint, byte[] ak, byte[] sk, byte[] project, out IntPtr cfg);
        [DllImport(Lib)] internal static extern int lts_client_config_set(IntPtr c, byte[] key, byte[] value);
        [DllImport(Lib)] internal static extern IntPtr lts_client_config_get(IntPtr c, byte[] key);
        [DllImport(Lib)] internal static extern int lts_producer_config_set(IntPtr c, byte[] key, byte[] value);
        [DllImport(Lib)] internal static extern IntPtr lts_producer_config_get(IntPtr c, byte[] key);
        [DllImport(Lib)] internal static extern int lts_producer_config_set_stats_callback(IntPtr c, StatsCallback cb, IntPtr userData);
        [DllImport(Lib)] internal static extern IntPtr lts_config_schema();
        [DllImport(Lib)] internal static extern void lts_string_free(IntPtr s);
        [DllImport(Lib)] internal static extern IntPtr lts_producer_stats_json(ProducerHandle p);
        [DllImport(Lib)] internal static extern int lts_producer_poll(ProducerHandle p, UIntPtr max, uint timeoutMs, out UIntPtr served);
        [DllImport(Lib)] internal static extern void lts_set_log_callback(LogCallback cb, IntPtr userData);
        [DllImport(Lib)] internal static extern void lts_set_log_level(int level);
        [DllImport(Lib)] internal static extern void lts_client_config_free(IntPtr c);
        [DllImport(Lib)] internal static extern int lts_client_new(IntPtr cfg, out ClientHandle client);
        [DllImport(Lib)] internal static extern void lts_client_free(IntPtr client);
        [DllImport(Lib)] internal static extern int lts_put_logs_packed(ClientHandle client, byte[] project, byte[] unit, byte[] buf, UIntPtr len, UIntPtr count, out IntPtr resp);
        [DllImport(Lib)] internal static extern int lts_response_status_code(IntPtr r);
        [DllImport(Lib)] internal static extern IntPtr lts_response_message(IntPtr r);
        [DllImport(Lib)] internal static extern IntPtr lts_response_error(IntPtr r);
        [DllImport(Lib)] internal static extern void lts_response_free(IntPtr r);
        [DllImport(Lib)] internal static extern int lts_producer_config_new(out IntPtr c);
        [DllImport(Lib)] internal static extern void lts_producer_config_free(IntPtr c);
        [DllImport(Lib)] internal static extern int lts_producer_new(IntPtr cfg, out ProducerHandle p);
        [DllImport(Lib)] internal static extern int lts_producer_add_client(ProducerHandle p, IntPtr cfg);
        [DllImport(Lib)] internal static extern int lts_producer_start(ProducerHandle p);
        [DllImport(Lib)] internal static extern int lts_producer_send_packed(ProducerHandle p, byte[] project, byte[] unit, byte[] buf, UIntPtr len, UIntPtr count, SendCallback cb, IntPtr userData);
        [DllImport(Lib)] internal static extern int lts_producer_flush(ProducerHandle p);
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
            uint abi;
            try { abi = lts_abi_version(); }
            catch (DllNotFoundException e) { throw new DllNotFoundException(NotFound(), e); }
            catch (EntryPointNotFoundException e) { throw new DllNotFoundException(NotFound(), e); }
            if (abi != AbiVersion)
                throw new DllNotFoundException("liblts ABI version " + abi + ", this binding needs " + AbiVersion);
            Log.Install();
        }

        /// <summary>What the runtime tried, and how to point it at liblts.</summary>
        static string NotFound()
        {
            string ld = Environment.GetEnvironmentVariable("LD_LIBRARY_PATH");
            string here = AppDomain.CurrentDomain.BaseDirectory;
            return "liblts could not be loaded: DllImport(\"lts\") looked for liblts.so in " + here +
                " (the program's folder), in LD_LIBRARY_PATH=" + (string.IsNullOrEmpty(ld) ? "(unset)" : ld) +
                ", then in the ldconfig cache and /lib, /usr/lib. Install it (make install, then ldconfig for a " +
                "system prefix), put liblts.so beside the program, or set LD_LIBRARY_PATH to its folder.";
        }

        /// <summary>A `char *` liblts handed over, as a string (freed); null for NULL.</summary>
        internal static string Take(IntPtr p)
        {
            if (p == IntPtr.Zero) return null;
            try { return Str(p); }
            finally { lts_string_free(p); }
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
    /// string, long or double values (other values as their Convert.ToString). A key is checked
    /// by liblts's rules when added; adding it again replaces its value.</summary>
    public sealed class LogItem
    {
        public long TimestampNs;
        public string OriginMsg;
        // Contents and labels in the order added, each with its value as given: a send encodes
        // them straight into its packer's buffer, so an item allocates this array and itself
        // only (room for the `wide` shape's 9 fields before it grows).
        Field[] fields = new Field[12];
        int count, labels;

        public LogItem(long timestampNs, string originMsg) { TimestampNs = timestampNs; OriginMsg = originMsg; }

        public static long NowNs() { return Native.lts_now_ns(); }

        public LogItem Content(string key, string value) { Put(Key.Of(key, false), Field.Str, value ?? "", 0); return this; }
        public LogItem Content(string key, long value) { Put(Key.Of(key, false), Field.I64, null, value); return this; }
        public LogItem Content(string key, double value) { Put(Key.Of(key, false), Field.F64, null, BitConverter.DoubleToInt64Bits(value)); return this; }
        public LogItem Content(string key, object value) { Put(Key.Of(key, false), value); return this; }
        public LogItem Label(string key, string value) { Put(Key.Of(key, true), Field.Str, value ?? "", 0); return this; }
        public LogItem Label(string key, long value) { Put(Key.Of(key, true), Field.I64, null, value); return this; }
        public LogItem Label(string key, double value) { Put(Key.Of(key, true), Field.F64, null, BitConverter.DoubleToInt64Bits(value)); return this; }
        public LogItem Label(string key, object value) { Put(Key.Of(key, true), value); return this; }

        void Put(Key k, object value)
        {
            if (value is string) Put(k, Field.Str, (string)value, 0);
            else if (value is long) Put(k, Field.I64, null, (long)value);
            else if (value is int) Put(k, Field.I64, null, (int)value);
            else if (value is double) Put(k, Field.F64, null, BitConverter.DoubleToInt64Bits((double)value));
            else if (value is float) Put(k, Field.F64, null, BitConverter.DoubleToInt64Bits((float)value));
            else Put(k, Field.Str, Convert.ToString(value) ?? "", 0);
        }

        /// <summary>Sets the field of `k`: in its place if the key was added before, else last.</summary>
        void Put(Key k, byte type, string text, long bits)
        {
            int i = 0;
            while (i < count && !fields[i].Key.SameAs(k)) i++;
            if (i == count)
            {
                if (count == fields.Length) Array.Resize(ref fields, count * 2);
                fields[i].Key = k;
                count++;
                if (k.Label) labels++;
            }
            fields[i].Type = type;
            fields[i].Text = text;
            fields[i].Bits = bits;
        }

        /// <summary>Appends this item in the layout of lts_producer_send_packed.</summary>
        internal void PackInto(Packer p)
        {
            p.I64(TimestampNs);
            p.Str(OriginMsg ?? "");
            p.U32(count - labels);
            for (int i = 0; i < count; i++)
                if (!fields[i].Key.Label) p.Put(ref fields[i]);
            p.U32(labels);
            if (labels > 0)
                for (int i = 0; i < count; i++)
                    if (fields[i].Key.Label) p.Put(ref fields[i]);
        }
    }

    /// <summary>A content or label of a LogItem: its key and its value, as given.</summary>
    internal struct Field
    {
        internal const byte Str = 0, I64 = 1, F64 = 2;
        internal Key Key;
        internal string Text;
        internal long Bits;
        internal byte Type;
    }

    /// <summary>A key that passed liblts's rules (as a content key or as a label key), with its
    /// length and UTF-8 as the packed layout has them.</summary>
    internal sealed class Key
    {
        const int Known = 65536, Recent = 256;
        // Keys repeat from log to log: one that is known is neither checked nor encoded again.
        // A lookup first tries a small table indexed by a hash of the key's length and a few of
        // its characters, where a hit is the same string instance (a literal) or an ordinal
        // match; then the dictionary of every key seen, with its randomized string hash; only a
        // key new to both is checked by liblts. Both are read without a lock: a table slot is
        // replaced whole, a new key replaces the dictionary with a bigger copy (keys are few;
        // adding one is rare).
        static readonly Key[][] recent = { new Key[Recent], new Key[Recent] };
        static Dictionary<string, Key>[] known = { new Dictionary<string, Key>(), new Dictionary<string, Key>() };
        static readonly object KnownLock = new object();

        internal readonly string Text;
        internal readonly bool Label;
        /// <summary>The one Key of its text and kind (in the dictionary): another Key object is
        /// another key. Beyond the dictionary's bound keys are made afresh.</summary>
        readonly bool only;
        /// <summary>The key's length (u32) and UTF-8, as a field has them after its type.</summary>
        internal readonly byte[] Packed;

        Key(string text, bool label, bool only, byte[] utf8)
        {
            Text = text;
            Label = label;
            this.only = only;
            Packed = new byte[4 + utf8.Length];
            Packer.PutU32(Packed, 0, utf8.Length);
            Buffer.BlockCopy(utf8, 0, Packed, 4, utf8.Length);
        }

        internal bool SameAs(Key k)
        {
            return (object)this == k || (!(only && k.only) && Label == k.Label && Text == k.Text);
        }

        static int Slot(string s)
        {
            int n = s.Length;
            if (n == 0) return 0;
            int h = ((n * 31 + s[0]) * 31 + s[n - 1]) * 31 + s[n >> 1];
            return (h ^ (h >> 8)) & (Recent - 1);
        }

        /// <summary>`key` checked as a content key (or label key): throws for null or a key
        /// liblts refuses.</summary>
        internal static Key Of(string key, bool label)
        {
            if (key == null) throw new LtsException(Result.InvalidKey, "key is null");
            Key[] table = recent[label ? 1 : 0];
            int slot = Slot(key);
            Key k = Volatile.Read(ref table[slot]);
            if (k != null && ((object)k.Text == (object)key || string.Equals(k.Text, key))) return k;
            k = Find(key, label);
            Volatile.Write(ref table[slot], k);
            return k;
        }

        static Key Find(string key, bool label)
        {
            int kind = label ? 1 : 0;
            Key k;
            if (Volatile.Read(ref known[kind]).TryGetValue(key, out k)) return k;
            Native.Check(Native.lts_check_key(Native.Z(key), label));
            byte[] utf8 = Encoding.UTF8.GetBytes(key);
            lock (KnownLock)
            {
                var now = known[kind];
                if (now.TryGetValue(key, out k)) return k;
                if (now.Count >= Known) return new Key(key, label, false, utf8);
                k = new Key(key, label, true, utf8);
                var bigger = new Dictionary<string, Key>(now);
                bigger[key] = k;
                Volatile.Write(ref known[kind], bigger);
                return k;
            }
        }
    }

    /// <summary>A send's items in the layout of lts_producer_send_packed (little-endian), in a
    /// buffer of the sending thread's reused from send to send (liblts copies what it reads
    /// before the call returns), with the target's NUL-terminated names kept from the last
    /// send.</summary>
    internal sealed class Packer
    {
        [ThreadStatic] static Packer mine;
        internal byte[] Buf = new byte[4096];
        internal int Len;
        bool busy;
        string project, unit;
        internal byte[] Project, Unit;

        /// <summary>This thread's packer with the items of `items` (a packer in use, by a send
        /// from inside another's packing, is not shared: that one gets a fresh one).</summary>
        internal static Packer Begin(string project, string unit, IList<LogItem> items)
        {
            if (items == null) throw new LtsException(Result.InvalidArgument, "log items are null");
            Packer p = mine;
            if (p == null) p = mine = new Packer();
            if (p.busy) p = new Packer();
            p.busy = true;
            try
            {
                if (project != p.project) { p.Project = Native.Z(project); p.project = project; }
                if (unit != p.unit) { p.Unit = Native.Z(unit); p.unit = unit; }
                p.Len = 0;
                for (int i = 0; i < items.Count; i++)
                {
                    if (items[i] == null) throw new LtsException(Result.InvalidArgument, "log item " + i + " is null");
                    items[i].PackInto(p);
                }
            }
            catch
            {
                p.Done();
                throw;
            }
            return p;
        }

        internal void Done()
        {
            busy = false;
            if (Buf.Length > 1 << 20) Buf = new byte[4096];
        }

        void Room(int n)
        {
            if (n > Buf.Length - Len) Array.Resize(ref Buf, Math.Max(Buf.Length * 2, Len + n));
        }

        internal void U32(int v) { Room(4); PutU32(Buf, Len, v); Len += 4; }
        internal void I64(long v) { Room(8); PutI64(Buf, Len, v); Len += 8; }

        /// <summary>A field: type, key, value.</summary>
        internal void Put(ref Field f)
        {
            byte[] k = f.Key.Packed;
            Room(1 + k.Length + 8);
            Buf[Len] = f.Type;
            Buffer.BlockCopy(k, 0, Buf, Len + 1, k.Length);
            Len += 1 + k.Length;
            if (f.Type == Field.Str) Str(f.Text);
            else
            {
                PutI64(Buf, Len, f.Bits);
                Len += 8;
            }
        }

        /// <summary>A string: its UTF-8 length (u32) and UTF-8. ASCII is copied char by char
        /// here; the encoder takes over at the first char that is not.</summary>
        internal void Str(string s)
        {
            int n = s.Length;
            Room(4 + n);
            int at = Len + 4;
            int ascii = Ascii.Copy(s, Buf, at);
            int bytes = ascii;
            if (ascii < n)
            {
                Room(4 + ascii + Encoding.UTF8.GetMaxByteCount(n - ascii));
                bytes += Encoding.UTF8.GetBytes(s, ascii, n - ascii, Buf, at + ascii);
            }
            PutU32(Buf, Len, bytes);
            Len = at + bytes;
        }

        internal static void PutU32(byte[] b, int at, int v)
        {
            b[at] = (byte)v;
            b[at + 1] = (byte)(v >> 8);
            b[at + 2] = (byte)(v >> 16);
            b[at + 3] = (byte)(v >> 24);
        }

        internal static void PutI64(byte[] b, int at, long v)
        {
            PutU32(b, at, (int)v);
            PutU32(b, at + 4, (int)(v >> 32));
        }
    }

    /// <summary>UTF-16 to bytes while the chars are ASCII, eight at a time: mono's UTF-8 encoder
    /// costs more than the copy itself for the short strings of a log.</summary>
    internal static class Ascii
    {
        /// <summary>Copies the leading ASCII chars of `s` to b[at..]: how many (s.Length when
        /// all are); b must have room for s.Length bytes from `at`.</summary>
        internal static unsafe int Copy(string s, byte[] b, int at)
        {
            int n = s.Length;
            if (n == 0) return 0;
            if (at < 0 || b.Length - at < n) throw new ArgumentOutOfRangeException("at");
            int i = 0;
            fixed (char* src = s)
            fixed (byte* dst = &b[at])
            {
                for (; i + 8 <= n; i += 8)
                {
                    ulong lo = *(ulong*)(src + i), hi = *(ulong*)(src + i + 4);
                    if (((lo | hi) & 0xFF80FF80FF80FF80UL) != 0) break;
                    // Four chars 0x00cc each to four bytes: fold each pair, then the halves.
                    lo |= lo >> 8;
                    lo = (lo & 0xFFFF) | ((lo >> 16) & 0xFFFF0000UL);
                    hi |= hi >> 8;
                    hi = (hi & 0xFFFF) | ((hi >> 16) & 0xFFFF0000UL);
                    *(ulong*)(dst + i) = lo | (hi << 32);
                }
                for (; i < n; i++)
                {
                    char c = src[i];
                    if (c >= 0x80) break;
                    dst[i] = (byte)c;
                }
            }
            return i;
        }
    }

    /// <summary>Options by name, checked by liblts when set (an unknown key or a bad value
    /// throws LtsException InvalidArgument naming them), applied in the order given.</summary>
    public abstract class Options
    {
        readonly List<KeyValuePair<string, string>> byName = new List<KeyValuePair<string, string>>();

        internal abstract IntPtr Scratch();
        internal abstract void FreeNative(IntPtr c);
        internal abstract int SetNative(IntPtr c, byte[] key, byte[] value);
        internal abstract IntPtr GetNative(IntPtr c, byte[] key);
        /// <summary>The typed properties that are set, as (key, value).</summary>
        internal abstract List<KeyValuePair<string, string>> Typed();

        /// <summary>The keys the typed properties that are set stand for (tests check they
        /// cover the core's table).</summary>
        public List<string> TypedForTests()
        {
            var keys = new List<string>();
            foreach (var kv in Typed()) keys.Add(kv.Key);
            return keys;
        }

        /// <summary>Sets any option by its CONFIGURATION.md key; later settings win.</summary>
        public void Set(string key, string value)
        {
            IntPtr c = Scratch();
            try { Native.Check(SetNative(c, Native.Z(key), Native.Z(value))); }
            finally { FreeNative(c); }
            byName.Add(new KeyValuePair<string, string>(key, value));
        }

        internal void Apply(IntPtr c)
        {
            foreach (var kv in Typed()) Native.Check(SetNative(c, Native.Z(kv.Key), Native.Z(kv.Value)));
            foreach (var kv in byName) Native.Check(SetNative(c, Native.Z(kv.Key), Native.Z(kv.Value)));
        }

        internal static void Add(List<KeyValuePair<string, string>> o, string key, object value)
        {
            if (value == null) return;
            string text = value is bool ? ((bool)value ? "true" : "false") : Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture);
            o.Add(new KeyValuePair<string, string>(key, text));
        }
    }

    /// <summary>The official SDK's ClientConfig, with a property for every client option of
    /// the core (CONFIGURATION.md; null means liblts's default), Profile for the
    /// wire-protocol profile keys, and Set for any key by name.</summary>
    public sealed class ClientConfig : Options
    {
        public string Endpoint, AccessKey, SecretKey, LogProject;
        public uint? RequestTimeoutMs = 30000;
        public string CompressType;
        public string UserAgent = "lts-sdk-dotnet/0.1.0";
        public uint? Retries = 3;
        public int[] NoRetryStatusCodes;
        public string AuthMode;
        public bool? AllowPlainHttp;
        public string CaFile, CaPem;
        public Dictionary<string, string> Profile = new Dictionary<string, string>();

        public ClientConfig(string endpoint, string accessKey, string secretKey, string logProject)
        {
            Endpoint = endpoint; AccessKey = accessKey; SecretKey = secretKey; LogProject = logProject;
        }

        internal override List<KeyValuePair<string, string>> Typed()
        {
            var o = new List<KeyValuePair<string, string>>();
            Add(o, "request_timeout_ms", RequestTimeoutMs);
            Add(o, "compress_type", CompressType);
            Add(o, "user_agent", UserAgent);
            Add(o, "retries", Retries);
            if (NoRetryStatusCodes != null) Add(o, "no_retry_status_code", string.Join(",", NoRetryStatusCodes));
            Add(o, "auth_mode", AuthMode);
            Add(o, "allow_plain_http", AllowPlainHttp);
            Add(o, "ca_file", CaFile);
            Add(o, "ca_pem", CaPem);
            var keys = new List<string>(Profile.Keys);
            keys.Sort(StringComparer.Ordinal);
            foreach (var k in keys) Add(o, k, Profile[k]);
            return o;
        }

        internal override IntPtr Scratch()
        {
            IntPtr c;
            Native.Check(Native.lts_client_config_new(Native.Z("http://127.0.0.1"), Native.Z("ak"), Native.Z("sk"), Native.Z(""), out c));
            return c;
        }
        internal override void FreeNative(IntPtr c) { Native.lts_client_config_free(c); }
        internal override int SetNative(IntPtr c, byte[] k, byte[] v) { return Native.lts_client_config_set(c, k, v); }
        internal override IntPtr GetNative(IntPtr c, byte[] k) { return Native.lts_client_config_get(c, k); }

        /// <summary>A native config; the caller frees it.</summary>
        internal IntPtr Native_()
        {
            IntPtr c;
            Native.Check(Native.lts_client_config_new(Native.Z(Endpoint), Native.Z(AccessKey), Native.Z(SecretKey), Native.Z(LogProject ?? ""), out c));
            try { Apply(c); }
            catch { Native.lts_client_config_free(c); throw; }
            return c;
        }

        /// <summary>What liblts holds for `key` once this config is applied (diagnostics, tests).</summary>
        public string ReadBack(string key)
        {
            IntPtr c = Native_();
            try
            {
                string v = Native.Take(GetNative(c, Native.Z(key)));
                if (v == null) Native.Check(Result.InvalidArgument);
                return v;
            }
            finally { Native.lts_client_config_free(c); }
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
            Packer p = Packer.Begin(project, unit, items);
            IntPtr resp;
            int r;
            try { r = Native.lts_put_logs_packed(h, p.Project, p.Unit, p.Buf, (UIntPtr)p.Len, (UIntPtr)items.Count, out resp); }
            finally { p.Done(); }
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

    /// <summary>Every producer option of the core (CONFIGURATION.md) as a property (null: the
    /// default), and Set for any key by name.</summary>
    public sealed class ProducerConfig : Options
    {
        public ulong? BatchSizeBytes;
        public uint? BatchCount;
        public uint? LingerMs;
        public uint? WorkerCount;
        public ulong? BufferBytes;
        public uint? MaxBlockMs;
        /// <summary>"thread" (the default) or "poll": callbacks then run in Producer.Poll and Close.</summary>
        public string CallbackMode;
        public uint? DeliveryTimeoutMs;
        /// <summary>The former name of JournalDir (the same setting).</summary>
        public string SpillDir;
        /// <summary>A directory the producer owns where each accepted send is kept until
        /// reported, so a crash of the process loses none (lts_producer_config_set_journal_dir
        /// in lts.h).</summary>
        public string JournalDir;
        public ulong? JournalMaxBytes;
        public ulong? JournalSegmentBytes;
        public uint? JournalSyncMs;
        public uint? JournalMaxAgeMs;
        public uint? StatsIntervalMs;
        /// <summary>Per-unit stats entries kept for idle units (1000).</summary>
        public uint? IdleUnitsMax;
        /// <summary>Gets the stats (as Producer.Stats gives them) every StatsIntervalMs, where
        /// callbacks run.</summary>
        public Action<Dictionary<string, object>> StatsCallback;

        internal override List<KeyValuePair<string, string>> Typed()
        {
            var o = new List<KeyValuePair<string, string>>();
            Add(o, "batch_size_bytes", BatchSizeBytes);
            Add(o, "batch_count", BatchCount);
            Add(o, "linger_ms", LingerMs);
            Add(o, "worker_count", WorkerCount);
            Add(o, "buffer_bytes", BufferBytes);
            Add(o, "max_block_ms", MaxBlockMs);
            Add(o, "callback_mode", CallbackMode);
            Add(o, "delivery_timeout_ms", DeliveryTimeoutMs);
            Add(o, "spill_dir", SpillDir);
            Add(o, "journal_dir", JournalDir);
            Add(o, "journal_max_bytes", JournalMaxBytes);
            Add(o, "journal_segment_bytes", JournalSegmentBytes);
            Add(o, "journal_sync_ms", JournalSyncMs);
            Add(o, "journal_max_age_ms", JournalMaxAgeMs);
            Add(o, "stats_interval_ms", StatsIntervalMs);
            Add(o, "idle_units_max", IdleUnitsMax);
            return o;
        }

        internal override IntPtr Scratch() { IntPtr c; Native.Check(Native.lts_producer_config_new(out c)); return c; }
        internal override void FreeNative(IntPtr c) { Native.lts_producer_config_free(c); }
        internal override int SetNative(IntPtr c, byte[] k, byte[] v) { return Native.lts_producer_config_set(c, k, v); }
        internal override IntPtr GetNative(IntPtr c, byte[] k) { return Native.lts_producer_config_get(c, k); }

        /// <summary>What liblts holds for `key` once this config is applied (diagnostics, tests).</summary>
        public string ReadBack(string key)
        {
            IntPtr c = Scratch();
            try
            {
                Apply(c);
                string v = Native.Take(GetNative(c, Native.Z(key)));
                if (v == null) Native.Check(Result.InvalidArgument);
                return v;
            }
            finally { FreeNative(c); }
        }
    }

    /// <summary>liblts's option table (lts_config_schema), parsed.</summary>
    public static class Schema
    {
        /// <summary>"client" and "producer" → their options, each a dictionary with "name",
        /// "type", "default", "range", "doc", "write_only", "profile".</summary>
        public static Dictionary<string, object> Read()
        {
            return (Dictionary<string, object>)Json.Parse(Native.Str(Native.lts_config_schema()));
        }
    }

    /// <summary>liblts's log lines: by default to System.Diagnostics.Trace (and to stderr
    /// when Trace has no listener but the default one, so a failure is never invisible).</summary>
    public static class Log
    {
        public const int Off = -1, Error = 3, Warn = 4, Info = 6, Debug = 7;
        static readonly Native.LogCallback Trampoline = OnLine;
        static volatile Action<int, string> handler = ToTrace;

        internal static void Install() { Native.lts_set_log_callback(Trampoline, IntPtr.Zero); }

        static void ToTrace(int level, string message)
        {
            bool onlyDefault = Trace.Listeners.Count == 0 ||
                (Trace.Listeners.Count == 1 && Trace.Listeners[0] is DefaultTraceListener);
            if (onlyDefault) Console.Error.WriteLine("liblts " + Name(level) + ": " + message);
            else if (level <= Error) Trace.TraceError(message);
            else if (level == Warn) Trace.TraceWarning(message);
            else Trace.TraceInformation(message);
        }

        static string Name(int level) { return level <= Error ? "error" : level == Warn ? "warn" : level == Info ? "info" : "debug"; }

        static void OnLine(IntPtr userData, int level, IntPtr message)
        {
            try { var h = handler; if (h != null) h(level, Native.Str(message)); }
            catch (Exception) { } // must not unwind into C
        }

        /// <summary>Sends the lines to `h` (level, message) instead; null: back to Trace. `h`
        /// runs on liblts's threads and must be thread-safe.</summary>
        public static void SetHandler(Action<int, string> h) { handler = h ?? ToTrace; Install(); }

        /// <summary>Drops lines above `level` (Warn by default); Off drops all.</summary>
        public static void SetLevel(int level) { Native.lts_set_log_level(level); }
    }

    /// <summary>A small JSON reader for liblts's own output (stats, schema): objects become
    /// Dictionary&lt;string, object&gt;, arrays List&lt;object&gt;, numbers double.</summary>
    public static class Json
    {
        public static object Parse(string s) { int i = 0; var v = Value(s, ref i); return v; }

        static void Ws(string s, ref int i) { while (i < s.Length && char.IsWhiteSpace(s[i])) i++; }

        static object Value(string s, ref int i)
        {
            Ws(s, ref i);
            char c = s[i];
            if (c == '{')
            {
                var d = new Dictionary<string, object>();
                i++; Ws(s, ref i);
                if (s[i] == '}') { i++; return d; }
                for (;;)
                {
                    Ws(s, ref i);
                    string k = Text(s, ref i);
                    Ws(s, ref i); i++; // ':'
                    d[k] = Value(s, ref i);
                    Ws(s, ref i);
                    if (s[i++] == '}') return d;
                }
            }
            if (c == '[')
            {
                var l = new List<object>();
                i++; Ws(s, ref i);
                if (s[i] == ']') { i++; return l; }
                for (;;)
                {
                    l.Add(Value(s, ref i));
                    Ws(s, ref i);
                    if (s[i++] == ']') return l;
                }
            }
            if (c == '"') return Text(s, ref i);
            if (s.Substring(i).StartsWith("true")) { i += 4; return true; }
            if (s.Substring(i).StartsWith("false")) { i += 5; return false; }
            if (s.Substring(i).StartsWith("null")) { i += 4; return null; }
            int start = i;
            while (i < s.Length && "+-0123456789.eE".IndexOf(s[i]) >= 0) i++;
            return double.Parse(s.Substring(start, i - start), System.Globalization.CultureInfo.InvariantCulture);
        }

        static string Text(string s, ref int i)
        {
            var b = new StringBuilder();
            i++; // '"'
            while (s[i] != '"')
            {
                if (s[i] == '\\')
                {
                    char e = s[++i];
                    if (e == 'u') { b.Append((char)Convert.ToInt32(s.Substring(i + 1, 4), 16)); i += 4; }
                    else b.Append(e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e == 'b' ? '\b' : e == 'f' ? '\f' : e);
                }
                else b.Append(s[i]);
                i++;
            }
            i++;
            return b.ToString();
        }
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
        // Held for the producer's life: C holds its pointer until close.
        readonly Native.StatsCallback statsTrampoline;
        readonly Action<Dictionary<string, object>> statsCallback;

        public Producer(ProducerConfig config)
        {
            IntPtr c;
            Native.Check(Native.lts_producer_config_new(out c));
            try
            {
                config.Apply(c);
                if (config.StatsCallback != null)
                {
                    statsCallback = config.StatsCallback;
                    statsTrampoline = OnStats;
                    Native.Check(Native.lts_producer_config_set_stats_callback(c, statsTrampoline, IntPtr.Zero));
                }
                Native.Check(Native.lts_producer_new(c, out h));
            }
            finally { Native.lts_producer_config_free(c); }
        }

        void OnStats(IntPtr userData, IntPtr json)
        {
            try { statsCallback((Dictionary<string, object>)Json.Parse(Native.Str(json))); }
            catch (Exception) { } // must not unwind into C
        }

        /// <summary>Everything the producer counts (lts_producer_stats_json in lts.h):
        /// logs_accepted, logs_sent, ..., retries_by_reason, token_renewals, units, last_error.</summary>
        public Dictionary<string, object> Stats()
        {
            string json = Native.Take(Native.lts_producer_stats_json(Handle()));
            if (json == null) Native.Check(Result.InvalidArgument);
            return (Dictionary<string, object>)Json.Parse(json);
        }

        /// <summary>In CallbackMode "poll": runs up to `max` ready callbacks (and liblts's log
        /// lines and stats) on this thread, waiting up to timeoutMs for the first.</summary>
        public int Poll(int max, uint timeoutMs)
        {
            UIntPtr served;
            Native.Check(Native.lts_producer_poll(Handle(), (UIntPtr)max, timeoutMs, out served));
            return (int)served.ToUInt32();
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
            Packer p = Packer.Begin(project, unit, items);
            IntPtr ud = callback == null ? IntPtr.Zero : GCHandle.ToIntPtr(GCHandle.Alloc(callback));
            int r;
            try
            {
                r = Native.lts_producer_send_packed(Handle(), p.Project, p.Unit, p.Buf, (UIntPtr)p.Len, (UIntPtr)items.Count,
                    callback == null ? null : Trampoline, ud);
            }
            catch
            {
                if (ud != IntPtr.Zero) GCHandle.FromIntPtr(ud).Free();
                throw;
            }
            finally { p.Done(); }
            if (r != Result.Ok)
            {
                string detail = Native.Str(Native.lts_last_error_message());
                if (ud != IntPtr.Zero) GCHandle.FromIntPtr(ud).Free();
                throw new LtsException(r, detail);
            }
        }

        /// <summary>Hands every open batch to the workers now, instead of when its linger
        /// time runs out, and returns at once: it does not wait for delivery (close does) and
        /// the producer keeps accepting sends. For a logging framework's flush. Throws
        /// LtsException InvalidState before Start, Closed once a close began.</summary>
        public void Flush() { Native.Check(Native.lts_producer_flush(Handle())); }

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
