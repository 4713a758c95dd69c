#include "domain/roles.h"

#include <criterion/criterion.h>

Test(roles, names_round_trip)
{
	for (int r = SK_ROLE_RESIDENT; r <= SK_ROLE_ADMIN; r++)
		cr_assert_eq(sk_role_parse(sk_role_name((enum sk_role)r)), r);
}

Test(roles, unknown_names_are_none)
{
	cr_assert_eq(sk_role_parse("Leader"), SK_ROLE_NONE);
	cr_assert_eq(sk_role_parse(""), SK_ROLE_NONE);
	cr_assert_eq(sk_role_parse(NULL), SK_ROLE_NONE);
	cr_assert_null(sk_role_name(SK_ROLE_NONE));
	cr_assert_null(sk_role_name((enum sk_role)99));
}
