#include "domain/ascii.h"

#include <criterion/criterion.h>
#include <stdlib.h>

static void check(const char *in, const char *want)
{
	char *out = sk_ascii_fold(in);
	cr_assert_not_null(out, "%s", in);
	cr_expect_str_eq(out, want);
	free(out);
}

Test(ascii, vietnamese_keeps_case_and_punctuation)
{
	check("Đề xuất “Chợ số” đã được nhận.", "De xuat \"Cho so\" da duoc nhan.");
	check("ĐƯỜNG Ỷ Ỗ ữ ặ", "DUONG Y O u a");
	check("Hạn: 17:00 01/12/2026 – còn 6 giờ…", "Han: 17:00 01/12/2026 - con 6 gio...");
	check("", "");
}

Test(ascii, other_scripts_become_question_marks)
{
	check("漢字 ok", "?? ok");
	cr_expect_null(sk_ascii_fold("\xff\xfe"));
}
