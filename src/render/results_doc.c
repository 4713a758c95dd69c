#include "render/results_doc.h"

#include <string.h>

const char *sk_doc_method_text(const char *method)
{
	if (method && !strcmp(method, "raw"))
		return "Điểm của mỗi mô hình là trung bình cộng có trọng số của điểm các thành viên tổ thẩm định chấm theo "
		       "từng tiêu chí, giữ nguyên thang điểm gốc. Các mô hình được xếp hạng theo điểm này từ cao xuống thấp.";
	return "Điểm mỗi thành viên tổ thẩm định chấm được chuẩn hóa theo cách chấm của chính thành viên đó (điểm z), "
	       "để người chấm chặt và người chấm rộng có sức nặng như nhau. Các mô hình được xếp hạng theo trung bình "
	       "có trọng số của điểm đã chuẩn hóa theo từng tiêu chí, từ cao xuống thấp.";
}
