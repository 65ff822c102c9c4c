// Utf8.cs - UTF-8 strings across the ABI: NUL-terminated input strings and
// output strings through the size-query idiom (include/inetkit/common.h).
using System;
using System.Runtime.InteropServices;
using System.Text;

namespace Inetkit
{
    internal static class Utf8
    {
        private const uint ErrorInsufficientBuffer = (uint)InetErrorCode.InsufficientBuffer;

        // Strict: a string that is not valid UTF-16 throws instead of being
        // sent with replacement characters.
        private static readonly UTF8Encoding Strict = new UTF8Encoding(false, true);

        /// <summary>One call of a size-query export: fills buffer (may be
        /// null), size in = buffer size, size out = length or size needed.</summary>
        internal delegate uint SizeQuery(byte[] buffer, ref uint size);

        /// <summary>The string as UTF-8 with a terminating NUL, or null for null.
        /// A string holding U+0000 is refused: the library would see only the part
        /// before it.</summary>
        internal static byte[] ToNative(string value, string paramName)
        {
            if (value == null)
            {
                return null;
            }
            if (value.IndexOf('\0') >= 0)
            {
                throw new ArgumentException("The string must not contain NUL characters.", paramName);
            }
            int length = Strict.GetByteCount(value);
            byte[] bytes = new byte[length + 1];
            Strict.GetBytes(value, 0, value.Length, bytes, 0);
            return bytes;
        }

        internal static string Decode(byte[] bytes, int count)
        {
            return Encoding.UTF8.GetString(bytes, 0, count);
        }

        /// <summary>A fixed char array of a structure (ByValArray): the bytes up
        /// to the first NUL, decoded.</summary>
        internal static string DecodeFixed(byte[] bytes)
        {
            if (bytes == null)
            {
                return string.Empty;
            }
            int length = Array.IndexOf(bytes, (byte)0);
            return Decode(bytes, length < 0 ? bytes.Length : length);
        }

        /// <summary>A NUL-terminated UTF-8 string in native memory, or null for IntPtr.Zero.</summary>
        internal static string FromNative(IntPtr value)
        {
            if (value == IntPtr.Zero)
            {
                return null;
            }
            int length = 0;
            while (Marshal.ReadByte(value, length) != 0)
            {
                length++;
            }
            byte[] bytes = new byte[length];
            Marshal.Copy(value, bytes, 0, length);
            return Decode(bytes, length);
        }

        /// <summary><see cref="Query(SizeQuery, uint, out string)"/> for a binary
        /// value: on success the size is the byte count, and no NUL is involved.</summary>
        internal static uint QueryBytes(SizeQuery query, uint initialSize, out byte[] result)
        {
            result = null;
            uint capacity = initialSize;
            for (int attempt = 0; attempt < 4; attempt++)
            {
                byte[] buffer = new byte[capacity];
                uint size = capacity;
                uint rc = query(buffer, ref size);
                if (rc == 0)
                {
                    result = new byte[Math.Min(size, capacity)];
                    Array.Copy(buffer, result, result.Length);
                    return 0;
                }
                if (rc != ErrorInsufficientBuffer || size <= capacity)
                {
                    return rc;
                }
                capacity = size;
            }
            return ErrorInsufficientBuffer;
        }

        /// <summary>Runs the size-query idiom: first with a buffer of
        /// <paramref name="initialSize"/> bytes, then again with the size the
        /// library asks for. Returns the export's code (0 on success).</summary>
        internal static uint Query(SizeQuery query, uint initialSize, out string result)
        {
            result = null;
            uint capacity = initialSize;
            for (int attempt = 0; attempt < 4; attempt++)
            {
                byte[] buffer = new byte[capacity];
                uint size = capacity;
                uint rc = query(buffer, ref size);
                if (rc == 0)
                {
                    result = Decode(buffer, (int)Math.Min(size, capacity));
                    return 0;
                }
                if (rc != ErrorInsufficientBuffer || size <= capacity)
                {
                    return rc;
                }
                capacity = size;
            }
            return ErrorInsufficientBuffer;
        }
    }
}
