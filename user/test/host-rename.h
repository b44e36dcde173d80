// Force-included (-include) when user/lib is compiled for the host by
// user/ulib.test.ts: gives every library function and every system call the
// library uses an ulib_ prefix, so the library under test never collides
// with (or replaces) the host C library that the test driver runs on.
#define strlen ulib_strlen
#define strcmp ulib_strcmp
#define strncmp ulib_strncmp
#define strcpy ulib_strcpy
#define strncpy ulib_strncpy
#define strlcpy ulib_strlcpy
#define strcat ulib_strcat
#define strchr ulib_strchr
#define strrchr ulib_strrchr
#define strstr ulib_strstr
#define memset ulib_memset
#define memcpy ulib_memcpy
#define memmove ulib_memmove
#define memcmp ulib_memcmp
#define memchr ulib_memchr
#define isdigit ulib_isdigit
#define isxdigit ulib_isxdigit
#define isalpha ulib_isalpha
#define isalnum ulib_isalnum
#define isspace ulib_isspace
#define isupper ulib_isupper
#define islower ulib_islower
#define isprint ulib_isprint
#define ispunct ulib_ispunct
#define toupper ulib_toupper
#define tolower ulib_tolower
#define vsnprintf ulib_vsnprintf
#define snprintf ulib_snprintf
#define vfprintf ulib_vfprintf
#define fprintf ulib_fprintf
#define vprintf ulib_vprintf
#define printf ulib_printf
#define puts ulib_puts
#define malloc ulib_malloc
#define free ulib_free
#define realloc ulib_realloc
#define calloc ulib_calloc
#define malloc_check ulib_malloc_check
#define malloc_stats ulib_malloc_stats
#define atoi ulib_atoi
#define strtol ulib_strtol
#define getline ulib_getline
#define stat ulib_stat
#define fail ulib_fail
#define perr ulib_perr
#define lasterror ulib_lasterror
#define re_match ulib_re_match
#define sh_parse ulib_sh_parse
#define sh_format ulib_sh_format
// System calls: the driver provides these.
#define write ulib_write
#define read ulib_read
#define open ulib_open
#define close ulib_close
#define fstat ulib_fstat
#define sbrk ulib_sbrk
#define exit ulib_exit
#define errstr ulib_errstr
// Threads' synchronisation (sync.c) and the futex calls under it: the driver
// provides futex_wait and futex_wake on Linux's futex.
#define mutex_init ulib_mutex_init
#define mutex_lock ulib_mutex_lock
#define mutex_trylock ulib_mutex_trylock
#define mutex_unlock ulib_mutex_unlock
#define cond_init ulib_cond_init
#define cond_wait ulib_cond_wait
#define cond_timedwait ulib_cond_timedwait
#define cond_signal ulib_cond_signal
#define cond_broadcast ulib_cond_broadcast
#define barrier_init ulib_barrier_init
#define barrier_wait ulib_barrier_wait
#define futex_wait ulib_futex_wait
#define futex_wake ulib_futex_wake
