# CLIMA_CHECK_CFLAG(FLAG, [ACTION-IF-OK], [ACTION-IF-NOT])
# Checks whether the C compiler accepts FLAG (with -Werror, so that a flag
# the compiler merely warns about counts as unsupported).
AC_DEFUN([CLIMA_CHECK_CFLAG], [
	AS_VAR_PUSHDEF([cache_var], [clima_cv_cflag_$1])
	AC_CACHE_CHECK([whether $CC accepts $1], [cache_var], [
		clima_save_CFLAGS=$CFLAGS
		CFLAGS="$CFLAGS -Werror $1"
		AC_COMPILE_IFELSE([AC_LANG_PROGRAM([], [])],
		    [AS_VAR_SET([cache_var], [yes])],
		    [AS_VAR_SET([cache_var], [no])])
		CFLAGS=$clima_save_CFLAGS
	])
	AS_VAR_IF([cache_var], [yes], [$2], [$3])
	AS_VAR_POPDEF([cache_var])
])
