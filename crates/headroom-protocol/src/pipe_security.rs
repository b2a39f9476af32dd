//! Who may use the tray's named pipe on Windows. The pipe is made with an explicit security
//! descriptor, owned by the user who runs the tray and open to that user alone: the default one
//! lets every user of the machine read it, and a tray started elevated would have it owned by
//! the Administrators group. A window opens the pipe letting the server identify it but never
//! act as it, and believes the pipe only when it is owned by its own user, so a pipe someone
//! else created first under the same name is refused before anything is sent to it; the tray
//! answers only its own user's processes.

use std::ffi::c_void;
use std::io;
use std::os::windows::io::{AsRawHandle, BorrowedHandle};

use interprocess::os::windows::security_descriptor::SecurityDescriptor;
use windows_sys::Win32::Foundation::{CloseHandle, LocalFree, ERROR_SUCCESS, HANDLE};
use windows_sys::Win32::Security::Authorization::{ConvertSidToStringSidW, GetSecurityInfo, SE_KERNEL_OBJECT};
use windows_sys::Win32::Security::{
    EqualSid, GetLengthSid, GetTokenInformation, IsValidSid, TokenUser, OWNER_SECURITY_INFORMATION, TOKEN_QUERY,
    TOKEN_USER,
};
use windows_sys::Win32::System::Threading::{
    GetCurrentProcess, OpenProcess, OpenProcessToken, PROCESS_QUERY_LIMITED_INFORMATION,
};

/// A security identifier (a user, a group), copied out of the memory the system gave it in.
pub struct Sid(Vec<u8>);

impl Sid {
    /// The user this process runs as.
    pub fn of_this_process() -> io::Result<Sid> {
        // SAFETY: the pseudo-handle of the current process needs no closing.
        Sid::user_of_process(unsafe { GetCurrentProcess() })
    }

    /// The user process `pid` runs as (another user's process cannot be asked: an error).
    pub fn of_process(pid: u32) -> io::Result<Sid> {
        // SAFETY: a plain call; the handle is closed below.
        let process = unsafe { OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, pid) };
        if process.is_null() {
            return Err(io::Error::last_os_error());
        }
        let user = Sid::user_of_process(process);
        // SAFETY: opened above and closed once.
        unsafe { CloseHandle(process) };
        user
    }

    fn user_of_process(process: HANDLE) -> io::Result<Sid> {
        let mut token: HANDLE = std::ptr::null_mut();
        // SAFETY: `token` receives a handle, closed below.
        if unsafe { OpenProcessToken(process, TOKEN_QUERY, &mut token) } == 0 {
            return Err(io::Error::last_os_error());
        }
        let user = (|| {
            let mut needed = 0u32;
            // SAFETY: asking for the size only.
            unsafe { GetTokenInformation(token, TokenUser, std::ptr::null_mut(), 0, &mut needed) };
            // u64s, so the TOKEN_USER at its start is aligned.
            let mut buffer = vec![0u64; (needed as usize).div_ceil(8).max(1)];
            // SAFETY: the buffer holds `needed` bytes.
            let ok = unsafe { GetTokenInformation(token, TokenUser, buffer.as_mut_ptr().cast(), needed, &mut needed) };
            if ok == 0 {
                return Err(io::Error::last_os_error());
            }
            // SAFETY: the call filled the buffer with a TOKEN_USER whose SID points into it.
            let user = unsafe { &*(buffer.as_ptr() as *const TOKEN_USER) };
            Sid::copied(user.User.Sid)
        })();
        // SAFETY: opened above and closed once.
        unsafe { CloseHandle(token) };
        user
    }

    /// The owner of the object behind `handle` (a pipe: who created it).
    pub fn owner_of(handle: BorrowedHandle<'_>) -> io::Result<Sid> {
        let mut owner: *mut c_void = std::ptr::null_mut();
        let mut descriptor: *mut c_void = std::ptr::null_mut();
        // SAFETY: the out-pointers are valid; the descriptor the owner points into is freed below.
        let status = unsafe {
            GetSecurityInfo(
                handle.as_raw_handle(),
                SE_KERNEL_OBJECT,
                OWNER_SECURITY_INFORMATION,
                &mut owner,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                &mut descriptor,
            )
        };
        if status != ERROR_SUCCESS {
            return Err(io::Error::from_raw_os_error(status as i32));
        }
        let sid = if owner.is_null() {
            Err(io::Error::new(io::ErrorKind::PermissionDenied, "it has no owner"))
        } else {
            Sid::copied(owner)
        };
        // SAFETY: allocated by GetSecurityInfo, freed once.
        unsafe { LocalFree(descriptor) };
        sid
    }

    fn copied(sid: *mut c_void) -> io::Result<Sid> {
        // SAFETY: `sid` comes from the system; checked before its length is read.
        if unsafe { IsValidSid(sid) } == 0 {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "the system gave an invalid user"));
        }
        // SAFETY: a valid SID is GetLengthSid bytes long.
        let bytes = unsafe { std::slice::from_raw_parts(sid as *const u8, GetLengthSid(sid) as usize) };
        Ok(Sid(bytes.to_vec()))
    }

    /// For a system call that takes the SID (it stays valid while `self` lives).
    pub fn as_psid(&self) -> *mut c_void {
        self.0.as_ptr() as *mut c_void
    }

    /// The SID as text (S-1-5-21-…), as security descriptors are written.
    pub fn text(&self) -> io::Result<String> {
        let mut text: *mut u16 = std::ptr::null_mut();
        // SAFETY: the SID is valid (checked when copied); the text is freed below.
        if unsafe { ConvertSidToStringSidW(self.as_psid(), &mut text) } == 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: a NUL-terminated string from the system.
        let length = (0..).take_while(|&i| unsafe { *text.add(i) } != 0).count();
        let string = String::from_utf16_lossy(unsafe { std::slice::from_raw_parts(text, length) });
        // SAFETY: allocated by ConvertSidToStringSidW, freed once.
        unsafe { LocalFree(text.cast()) };
        Ok(string)
    }
}

impl PartialEq for Sid {
    fn eq(&self, other: &Sid) -> bool {
        // SAFETY: both are valid SIDs (checked when copied).
        unsafe { EqualSid(self.as_psid(), other.as_psid()) != 0 }
    }
}

/// The pipe's security descriptor: owned by this user, who alone may open it (a protected list,
/// so nothing is inherited). In SDDL: `O:<user>G:<user>D:P(A;;GA;;;<user>)`.
pub fn pipe_descriptor() -> io::Result<SecurityDescriptor> {
    let user = Sid::of_this_process()?.text()?;
    let sddl = format!("O:{user}G:{user}D:P(A;;GA;;;{user})");
    let wide = widestring::U16CString::from_str(&sddl)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a user name with a NUL in it"))?;
    SecurityDescriptor::deserialize(&wide)
}

/// The stream's pipe handle.
pub fn handle_of(stream: &interprocess::local_socket::tokio::Stream) -> BorrowedHandle<'_> {
    use std::os::windows::io::AsHandle;
    match stream {
        interprocess::local_socket::tokio::Stream::NamedPipe(pipe) => pipe.inner().as_handle(),
    }
}
