"""Who is assessed in the demo: cohorts and units, under their real names.

Quảng Nam's 31 provincial departments (Sở, Ban, Ngành) and 18 districts as of 2015 (the
province's report of 30/12/2015), and Vietnam's 63 provinces and centrally-run cities as
of 2017 (the Ministry of Information and Communications' national ranking).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoCohort:
    code: str
    name: str


@dataclass(frozen=True)
class DemoUnit:
    code: str
    name: str
    cohort: str
    parent: str = ""


DEPARTMENTS = DemoCohort("qn-departments", "Sở, Ban, Ngành tỉnh Quảng Nam")
DISTRICTS = DemoCohort("qn-districts", "Huyện, thị xã, thành phố tỉnh Quảng Nam")
PROVINCES = DemoCohort("provinces", "Tỉnh, thành phố trực thuộc Trung ương")
COHORTS = (DEPARTMENTS, DISTRICTS, PROVINCES)

QUANG_NAM = "VN-QUANGNAM"
CAO_BANG = "VN-CAOBANG"

# --- Quảng Nam -------------------------------------------------------------------------------

#: The units named by the 2015 report.
CUC_THUE = "QN-CUCTHUE"
SO_TNMT = "QN-STNMT"
SO_TTTT = "QN-STTTT"
SO_CONG_THUONG = "QN-SCT"
TAM_KY = "QN-TAMKY"

_DEPARTMENTS = (
    ("QN-VPUBND", "Văn phòng UBND tỉnh"),
    ("QN-SNV", "Sở Nội vụ"),
    ("QN-STP", "Sở Tư pháp"),
    ("QN-SKHDT", "Sở Kế hoạch và Đầu tư"),
    ("QN-STC", "Sở Tài chính"),
    (SO_CONG_THUONG, "Sở Công Thương"),
    ("QN-SNNPTNT", "Sở Nông nghiệp và Phát triển nông thôn"),
    ("QN-SGTVT", "Sở Giao thông vận tải"),
    ("QN-SXD", "Sở Xây dựng"),
    (SO_TNMT, "Sở Tài nguyên và Môi trường"),
    (SO_TTTT, "Sở Thông tin và Truyền thông"),
    ("QN-SLDTBXH", "Sở Lao động – Thương binh và Xã hội"),
    ("QN-SVHTTDL", "Sở Văn hóa, Thể thao và Du lịch"),
    ("QN-SKHCN", "Sở Khoa học và Công nghệ"),
    ("QN-SGDDT", "Sở Giáo dục và Đào tạo"),
    ("QN-SYT", "Sở Y tế"),
    ("QN-SNGV", "Sở Ngoại vụ"),
    ("QN-TTT", "Thanh tra tỉnh"),
    ("QN-BDT", "Ban Dân tộc tỉnh"),
    ("QN-VPDDBQH", "Văn phòng Đoàn ĐBQH và HĐND tỉnh"),
    ("QN-BQLKCN", "Ban Quản lý các Khu công nghiệp tỉnh"),
    ("QN-BQLCHULAI", "Ban Quản lý Khu kinh tế mở Chu Lai"),
    (CUC_THUE, "Cục Thuế tỉnh Quảng Nam"),
    ("QN-CATINH", "Công an tỉnh"),
    ("QN-KBNN", "Kho bạc Nhà nước Quảng Nam"),
    ("QN-BHXH", "Bảo hiểm xã hội tỉnh"),
    ("QN-CUCHQ", "Cục Hải quan tỉnh Quảng Nam"),
    ("QN-CUCTK", "Cục Thống kê tỉnh Quảng Nam"),
    ("QN-NHNN", "Ngân hàng Nhà nước Chi nhánh tỉnh Quảng Nam"),
    ("QN-CUCTHADS", "Cục Thi hành án dân sự tỉnh"),
    ("QN-PTTH", "Đài Phát thanh – Truyền hình Quảng Nam"),
)

# Two cities (thành phố), one town (thị xã, since 2015) and fifteen rural districts (huyện).
_DISTRICTS = (
    (TAM_KY, "Thành phố Tam Kỳ"),
    ("QN-HOIAN", "Thành phố Hội An"),
    ("QN-DIENBAN", "Thị xã Điện Bàn"),
    ("QN-DAILOC", "Huyện Đại Lộc"),
    ("QN-DUYXUYEN", "Huyện Duy Xuyên"),
    ("QN-QUESON", "Huyện Quế Sơn"),
    ("QN-NONGSON", "Huyện Nông Sơn"),
    ("QN-THANGBINH", "Huyện Thăng Bình"),
    ("QN-NUITHANH", "Huyện Núi Thành"),
    ("QN-PHUNINH", "Huyện Phú Ninh"),
    ("QN-TIENPHUOC", "Huyện Tiên Phước"),
    ("QN-BACTRAMY", "Huyện Bắc Trà My"),
    ("QN-NAMTRAMY", "Huyện Nam Trà My"),
    ("QN-HIEPDUC", "Huyện Hiệp Đức"),
    ("QN-PHUOCSON", "Huyện Phước Sơn"),
    ("QN-NAMGIANG", "Huyện Nam Giang"),
    ("QN-DONGGIANG", "Huyện Đông Giang"),
    ("QN-TAYGIANG", "Huyện Tây Giang"),
)

# --- Vietnam's 63 provinces and cities (2017), in the official order ------------------------

_PROVINCES = (
    ("VN-HANOI", "Hà Nội"), ("VN-HAGIANG", "Hà Giang"), (CAO_BANG, "Cao Bằng"),
    ("VN-BACKAN", "Bắc Kạn"), ("VN-TUYENQUANG", "Tuyên Quang"), ("VN-LAOCAI", "Lào Cai"),
    ("VN-DIENBIEN", "Điện Biên"), ("VN-LAICHAU", "Lai Châu"), ("VN-SONLA", "Sơn La"),
    ("VN-YENBAI", "Yên Bái"), ("VN-HOABINH", "Hòa Bình"), ("VN-THAINGUYEN", "Thái Nguyên"),
    ("VN-LANGSON", "Lạng Sơn"), ("VN-QUANGNINH", "Quảng Ninh"), ("VN-BACGIANG", "Bắc Giang"),
    ("VN-PHUTHO", "Phú Thọ"), ("VN-VINHPHUC", "Vĩnh Phúc"), ("VN-BACNINH", "Bắc Ninh"),
    ("VN-HAIDUONG", "Hải Dương"), ("VN-HAIPHONG", "Hải Phòng"), ("VN-HUNGYEN", "Hưng Yên"),
    ("VN-THAIBINH", "Thái Bình"), ("VN-HANAM", "Hà Nam"), ("VN-NAMDINH", "Nam Định"),
    ("VN-NINHBINH", "Ninh Bình"), ("VN-THANHHOA", "Thanh Hóa"), ("VN-NGHEAN", "Nghệ An"),
    ("VN-HATINH", "Hà Tĩnh"), ("VN-QUANGBINH", "Quảng Bình"), ("VN-QUANGTRI", "Quảng Trị"),
    ("VN-THUATHIENHUE", "Thừa Thiên Huế"), ("VN-DANANG", "Đà Nẵng"),
    (QUANG_NAM, "Quảng Nam"), ("VN-QUANGNGAI", "Quảng Ngãi"), ("VN-BINHDINH", "Bình Định"),
    ("VN-PHUYEN", "Phú Yên"), ("VN-KHANHHOA", "Khánh Hòa"), ("VN-NINHTHUAN", "Ninh Thuận"),
    ("VN-BINHTHUAN", "Bình Thuận"), ("VN-KONTUM", "Kon Tum"), ("VN-GIALAI", "Gia Lai"),
    ("VN-DAKLAK", "Đắk Lắk"), ("VN-DAKNONG", "Đắk Nông"), ("VN-LAMDONG", "Lâm Đồng"),
    ("VN-BINHPHUOC", "Bình Phước"), ("VN-TAYNINH", "Tây Ninh"), ("VN-BINHDUONG", "Bình Dương"),
    ("VN-DONGNAI", "Đồng Nai"), ("VN-BARIAVUNGTAU", "Bà Rịa – Vũng Tàu"),
    ("VN-HOCHIMINH", "Thành phố Hồ Chí Minh"), ("VN-LONGAN", "Long An"),
    ("VN-TIENGIANG", "Tiền Giang"), ("VN-BENTRE", "Bến Tre"), ("VN-TRAVINH", "Trà Vinh"),
    ("VN-VINHLONG", "Vĩnh Long"), ("VN-DONGTHAP", "Đồng Tháp"), ("VN-ANGIANG", "An Giang"),
    ("VN-KIENGIANG", "Kiên Giang"), ("VN-CANTHO", "Cần Thơ"), ("VN-HAUGIANG", "Hậu Giang"),
    ("VN-SOCTRANG", "Sóc Trăng"), ("VN-BACLIEU", "Bạc Liêu"), ("VN-CAMAU", "Cà Mau"),
)

PROVINCE_UNITS = tuple(DemoUnit(code, name, PROVINCES.code) for code, name in _PROVINCES)
DEPARTMENT_UNITS = tuple(DemoUnit(code, name, DEPARTMENTS.code, QUANG_NAM)
                         for code, name in _DEPARTMENTS)
DISTRICT_UNITS = tuple(DemoUnit(code, name, DISTRICTS.code, QUANG_NAM)
                       for code, name in _DISTRICTS)
#: Provinces first: the Quảng Nam units name the province as their parent.
UNITS = PROVINCE_UNITS + DEPARTMENT_UNITS + DISTRICT_UNITS
UNIT_NAMES = {unit.code: unit.name for unit in UNITS}
