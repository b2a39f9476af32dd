/* Wine 8.0 has no bcryptprimitives.dll, from which Rust's standard library imports ProcessPrng
 * (its source of random bytes on Windows 10 and later). This stand-in, put on Wine's DLL search
 * path by scripts/wine-run, answers it with RtlGenRandom (advapi32's SystemFunction036), which
 * Wine has. Only for running the Windows build under Wine: nothing ships it. */
#include <windows.h>
#define SystemFunction036 NTAPI SystemFunction036
#include <ntsecapi.h>
#undef SystemFunction036

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    /* RtlGenRandom takes a ULONG: fill in pieces so a length over 4 GiB is not cut short. */
    while (length > 0) {
        ULONG piece = length > 0x40000000 ? 0x40000000 : (ULONG)length;
        if (!RtlGenRandom(data, piece))
            return FALSE;
        data += piece;
        length -= piece;
    }
    return TRUE;
}
