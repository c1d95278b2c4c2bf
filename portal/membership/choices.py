"""Choice lists of the membership form. Codes are stored; labels are translated."""

from __future__ import annotations

from portal.core.i18n import lazy_gettext as _l

# The 56 ethnic groups in the order and with the codes of GB/T 3304.
ETHNIC_GROUPS = {
    "01": _l("Han"),
    "02": _l("Mongol"),
    "03": _l("Hui"),
    "04": _l("Tibetan"),
    "05": _l("Uyghur"),
    "06": _l("Miao"),
    "07": _l("Yi"),
    "08": _l("Zhuang"),
    "09": _l("Buyei"),
    "10": _l("Korean"),
    "11": _l("Manchu"),
    "12": _l("Dong"),
    "13": _l("Yao"),
    "14": _l("Bai"),
    "15": _l("Tujia"),
    "16": _l("Hani"),
    "17": _l("Kazakh"),
    "18": _l("Dai"),
    "19": _l("Li"),
    "20": _l("Lisu"),
    "21": _l("Va"),
    "22": _l("She"),
    "23": _l("Gaoshan"),
    "24": _l("Lahu"),
    "25": _l("Sui"),
    "26": _l("Dongxiang"),
    "27": _l("Naxi"),
    "28": _l("Jingpo"),
    "29": _l("Kyrgyz"),
    "30": _l("Tu"),
    "31": _l("Daur"),
    "32": _l("Mulao"),
    "33": _l("Qiang"),
    "34": _l("Blang"),
    "35": _l("Salar"),
    "36": _l("Maonan"),
    "37": _l("Gelao"),
    "38": _l("Xibe"),
    "39": _l("Achang"),
    "40": _l("Pumi"),
    "41": _l("Tajik"),
    "42": _l("Nu"),
    "43": _l("Uzbek"),
    "44": _l("Russian"),
    "45": _l("Evenki"),
    "46": _l("De'ang"),
    "47": _l("Bonan"),
    "48": _l("Yugur"),
    "49": _l("Gin"),
    "50": _l("Tatar"),
    "51": _l("Derung"),
    "52": _l("Oroqen"),
    "53": _l("Hezhen"),
    "54": _l("Monba"),
    "55": _l("Lhoba"),
    "56": _l("Jino"),
}

EDUCATION = {
    "junior": _l("Junior secondary or below"),
    "senior": _l("Senior secondary / vocational school"),
    "college": _l("Junior college"),
    "bachelor": _l("Bachelor's degree"),
    "postgraduate": _l("Postgraduate"),
}

POLITICAL_STATUS = {
    "": _l("Prefer not to say"),
    "cpc_member": _l("Member of the Communist Party of China"),
    "cpc_probationary": _l("Probationary Party member"),
    "league_member": _l("Member of the Communist Youth League"),
    "democratic_party": _l("Member of a democratic party"),
    "masses": _l("Ordinary citizen"),
}

# New-employment-form (新就业形态) work comes first: it is who the poster flow is for.
EMPLOYMENT_TYPES = {
    "delivery_rider": _l("Food delivery rider"),
    "courier": _l("Courier"),
    "ride_hailing_driver": _l("Ride-hailing driver"),
    "truck_driver": _l("Truck driver"),
    "live_streamer": _l("Online streamer"),
    "domestic_worker": _l("Domestic worker"),
    "other_new_form": _l("Other platform work"),
    "employee": _l("Employee of an enterprise or organisation"),
}
NEW_FORM_TYPES = frozenset(EMPLOYMENT_TYPES) - {"employee"}

PLATFORMS = {
    "meituan": _l("Meituan"),
    "eleme": _l("Ele.me"),
    "sf": _l("SF Express"),
    "jd": _l("JD Logistics"),
    "zto": _l("ZTO Express"),
    "yto": _l("YTO Express"),
    "yunda": _l("Yunda Express"),
    "sto": _l("STO Express"),
    "jtexpress": _l("J&T Express"),
    "didi": _l("DiDi"),
    "caocao": _l("Caocao Mobility"),
    "t3": _l("T3 Mobility"),
    "huolala": _l("Lalamove (Huolala)"),
    "manbang": _l("Full Truck Alliance"),
    "douyin": _l("Douyin"),
    "kuaishou": _l("Kuaishou"),
    "other": _l("Other (type the name below)"),
}
