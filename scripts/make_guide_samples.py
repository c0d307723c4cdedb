"""Generate the shipped sample guides (sample text, not any hall's real guide):

- config/halls/demo/guide/: hand-written items for the demo hall's 8 services;
- config/halls/large/guide/: one generated item per service of the large hall (174).

Run from the project folder: python scripts/make_guide_samples.py
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config.guide import GuideEntry  # noqa: E402
from jiaohao.guide_import import write_guide  # noqa: E402

ID = ("居民身份证", "原件", 1, "", False)
HUKOU = ("居民户口簿", "原件", 1, "", True)
FORM = ("申请表", "原件", 1, "现场领取或在查询机打印", False)

DEMO = [
    # code, service, name, name_en, department, item_code, days (statutory, promised), fee, keywords,
    # materials (name, form, copies, note, electronic), steps, legal basis, conditions, notes, reminder
    ("A01", "A", "城乡居民养老保险参保登记", "Pension insurance registration (residents)", "区人社局",
     "000112010000", (20, 0), "不收费", ["养老保险", "参保", "社保登记"],
     [ID, HUKOU, ("城乡居民基本养老保险参保登记表", "原件", 1, "", False)],
     ["取号后到社保窗口提交材料", "窗口审核并录入", "当场办结，领取参保凭证"],
     "《中华人民共和国社会保险法》第二十条、第二十二条",
     "年满16周岁（不含在校学生），非国家机关和事业单位工作人员，不属于职工基本养老保险覆盖范围的本区户籍居民。",
     "已参加职工基本养老保险的不能重复参保。", "请带身份证和户口簿"),
    ("A02", "A", "社会保障卡申领", "Social security card application", "区人社局",
     "000112015000", (20, 10), "首次申领不收费；补换卡按规定收取工本费", ["社保卡", "办卡"],
     [ID, ("近期免冠白底彩色照片", "原件", 1, "一寸或二寸；已有电子照片可免交", False),
      ("银行卡（用于绑定金融功能）", "原件", 1, "可选", False)],
     ["取号后到社保窗口采集信息", "现场确认照片", "10个工作日后凭短信到窗口领卡"],
     "《社会保障卡管理办法》", "已参加本区社会保险的人员。", "委托他人代领需带双方身份证。", "请带身份证和照片"),
    ("B01", "B", "异地就医备案", "Registration for medical treatment in another city", "区医保局",
     "000114002000", (10, 0), "不收费", ["异地就医", "备案", "医保报销"],
     [ID, ("医保电子凭证或社保卡", "原件", 1, "", True),
      ("异地居住证明或就医转诊单", "原件", 1, "长期异地居住人员提供居住证明；转诊人员提供转诊单", False)],
     ["取号后到医保窗口提交材料", "窗口当场备案", "备案成功后到就医地定点医院直接结算"],
     "《国家医保局 财政部关于进一步做好基本医疗保险跨省异地就医直接结算工作的通知》",
     "参加本区基本医疗保险并需在异地就医的人员。", "也可在国家医保服务平台手机上自助备案。", ""),
    ("B02", "B", "生育保险待遇申领", "Maternity insurance benefits", "区医保局", "000114006000", (20, 10),
     "不收费", ["生育津贴", "生育险"],
     [ID, ("出生医学证明", "复印件", 1, "", True), ("医疗费用票据及费用清单", "原件", 1, "", False),
      ("本人银行卡", "复印件", 1, "", False)],
     ["取号后提交材料", "窗口受理审核", "审核通过后待遇发放到本人银行卡"],
     "《中华人民共和国社会保险法》第五十四条", "参加职工医保且生育前连续缴费满规定月数的职工。",
     "产后一年内申领。", ""),
    ("C01", "C", "二手房转移登记", "Transfer of ownership (second-hand home)", "区不动产登记中心",
     "000173003000", (30, 3), "住宅80元/件；证书工本费每增加一本10元", ["过户", "二手房", "买房", "不动产", "房产证"],
     [("买卖双方身份证", "原件", 1, "", False), ("不动产权证书（房产证）", "原件", 1, "", False),
      ("存量房买卖合同", "原件", 2, "网签合同", True), ("婚姻状况证明", "原件", 1, "结婚证或离婚证、离婚协议", True),
      ("完税凭证", "原件", 1, "契税、个税由税务窗口当场开具", True),
      ("授权委托书", "原件", 1, "委托办理时提供，须公证", False)],
     ["买卖双方一同到场取号", "不动产专区窗口受理并缴税（一窗受理）", "缴纳登记费", "3个工作日后领取新证"],
     "《不动产登记暂行条例》第十四条、第十六条", "房屋已取得不动产权证书，无查封、无异议登记；买卖双方已网签。",
     "买卖双方须本人到场；有抵押的须先注销抵押或办理带押过户。", "买卖双方须本人到场并带身份证、房产证"),
    ("C02", "C", "不动产抵押登记", "Mortgage registration", "区不动产登记中心", "000173008000", (30, 1),
     "住宅80元/件", ["抵押", "贷款", "按揭"],
     [ID, ("不动产权证书", "原件", 1, "", False), ("主债权合同和抵押合同", "原件", 1, "", False),
      ("银行营业执照及授权委托书", "复印件", 1, "由贷款银行提供", False)],
     ["抵押人与银行经办人一同取号", "窗口受理", "1个工作日后银行领取不动产登记证明"],
     "《中华人民共和国民法典》第四百零二条；《不动产登记暂行条例》",
     "以已登记的不动产设定抵押。", "多数银行可在网点“带押过户”，不必来大厅。", ""),
    ("C03", "C", "不动产权证书补换发", "Replacement of a property certificate", "区不动产登记中心",
     "000173012000", (30, 10), "工本费10元/本", ["补证", "房产证丢了", "换证"],
     [ID, ("遗失声明", "原件", 1, "在登记中心门户网站公告15个工作日", False),
      ("损坏的证书", "原件", 1, "换发时提供", False)],
     ["取号后窗口受理", "公告", "公告期满后领取新证"],
     "《不动产登记暂行条例实施细则》第二十二条", "证书遗失、灭失或损坏的权利人。", "", ""),
    ("D01", "D", "居民身份证换领", "Renewal of the resident identity card", "区公安分局",
     "000108001000", (60, 20), "20元；临时身份证10元", ["身份证", "换证", "到期"],
     [("原居民身份证", "原件", 1, "", False), HUKOU,
      ("近期证件照", "原件", 1, "可在窗口现场拍摄（免费）", False)],
     ["取号", "现场拍照、采集指纹", "缴费", "20个工作日后凭回执领取，或选择邮寄"],
     "《中华人民共和国居民身份证法》", "身份证有效期满前三个月起可申请换领。",
     "16周岁以下可由监护人陪同办理。", "请带原身份证和户口簿"),
    ("D02", "D", "普通护照申领", "Passport application", "出入境管理大队", "000108020000", (15, 7),
     "120元", ["护照", "出国", "出入境"],
     [ID, ("近期证件照", "原件", 1, "可现场拍摄", False),
      ("国家工作人员出境审批表", "原件", 1, "国家工作人员提供", False)],
     ["取号", "采集照片、指纹", "缴费", "7个工作日后领取或邮寄到家"],
     "《中华人民共和国护照法》", "中国公民因私出国。", "全国通办：可在任一出入境窗口申请。", ""),
    ("D03", "D", "户口迁入", "Household registration: moving in", "区公安分局", "000108005000", (20, 10),
     "不收费", ["落户", "迁户口"],
     [ID, HUKOU, ("房屋产权证明或集体户同意接收证明", "原件", 1, "", True),
      ("准予迁入证明", "原件", 1, "", False)],
     ["取号提交材料", "窗口审核", "办理迁入", "领取新户口簿页"],
     "《中华人民共和国户口登记条例》第十三条", "符合本市落户政策的人员。", "", ""),
    ("E01", "E", "发票领用", "Invoice issuance", "区税务局", "000131010000", (5, 0), "不收费",
     ["发票", "领发票", "税控"],
     [("经办人身份证", "原件", 1, "", False), ("税控设备（税务Ukey）", "原件", 1, "", False)],
     ["取号", "窗口核验", "当场领用发票"], "《中华人民共和国发票管理办法》第十五条",
     "已办理税务登记并完成发票票种核定的纳税人。", "多数纳税人可在电子税务局网上领用。", ""),
    ("E02", "E", "个人所得税综合所得汇算清缴", "Annual individual income tax reconciliation", "区税务局",
     "000131032000", (None, 0), "不收费", ["个税", "退税", "汇算"],
     [ID, ("收入、专项附加扣除相关资料", "复印件", 1, "", False)],
     ["取号", "窗口辅导填报", "提交申报"], "《中华人民共和国个人所得税法》第十一条",
     "每年3月1日至6月30日需办理汇算的纳税人。", "推荐使用“个人所得税”App自行办理。", ""),
    ("F01", "F", "住房公积金提取（租房）", "Provident fund withdrawal for rent", "市公积金中心瑶海分中心",
     "000163004000", (5, 0), "不收费", ["公积金", "提取", "租房"],
     [ID, ("本人银行卡", "原件", 1, "", False), ("房屋租赁合同或备案证明", "原件", 1, "", True)],
     ["取号", "窗口审核", "当场办结，资金1个工作日内到账"], "《住房公积金管理条例》第二十四条",
     "本市无自有住房且租房自住的缴存职工。", "", ""),
    ("F02", "F", "住房公积金贷款申请", "Provident fund housing loan", "市公积金中心瑶海分中心",
     "000163010000", (15, 10), "不收费", ["公积金贷款", "买房", "贷款"],
     [("借款人及配偶身份证", "原件", 1, "", False), ("婚姻状况证明", "原件", 1, "", True),
      ("购房合同", "原件", 1, "", True), ("首付款凭证", "原件", 1, "", False),
      ("收入证明", "原件", 1, "", False)],
     ["取号", "窗口受理", "审批", "签订借款合同", "办理抵押", "放款"], "《住房公积金管理条例》第二十六条",
     "连续足额缴存公积金6个月以上的职工。", "", ""),
    ("G01", "G", "企业设立登记", "Company registration", "区市场监管局", "000143001000", (15, 1), "不收费",
     ["开公司", "营业执照", "注册公司", "企业开办"],
     [("公司登记（备案）申请书", "原件", 1, "", False), ("公司章程", "原件", 1, "", False),
      ("股东主体资格证明", "复印件", 1, "", True), ("法定代表人、董事、监事、经理任职文件", "原件", 1, "", False),
      ("住所使用证明", "复印件", 1, "", True)],
     ["网上或窗口提交申请", "审核", "1个工作日内领取营业执照", "同步刻章、申领发票"],
     "《中华人民共和国公司法》；《中华人民共和国市场主体登记管理条例》",
     "符合法律规定的条件设立的公司。", "企业开办全程网办，可在“皖企通”办理。", ""),
    ("G02", "G", "营业执照变更登记", "Change of business licence", "区市场监管局", "000143002000", (15, 1),
     "不收费", ["变更", "执照", "换法人"],
     [("变更登记申请书", "原件", 1, "", False), ("营业执照正副本", "原件", 1, "", False),
      ("变更决议或决定", "原件", 1, "", False)],
     ["提交申请", "审核", "领取新执照"], "《中华人民共和国市场主体登记管理条例》第二十四条",
     "登记事项发生变更的市场主体。", "", ""),
    ("H01", "H", "结婚登记", "Marriage registration", "区民政局", "000121001000", (None, 0), "不收费",
     ["结婚", "领证", "结婚证"],
     [("双方身份证", "原件", 1, "", False), ("双方户口簿", "原件", 1, "跨省通办试点地区可免交", False),
      ("双方近期半身免冠合影2寸照片", "原件", 3, "红底", False)],
     ["双方一同取号", "填写《申请结婚登记声明书》", "颁证", "当场领取结婚证"],
     "《中华人民共和国民法典》第一千零四十九条；《婚姻登记条例》第四条",
     "男年满22周岁、女年满20周岁，双方自愿，均无配偶，无禁止结婚的亲属关系。",
     "须双方本人到场，不能委托。可网上预约。", "双方须本人到场，带身份证、户口簿、合影照片"),
    ("H02", "H", "补领婚姻登记证", "Replacement of a marriage certificate", "区民政局", "000121005000",
     (30, 0), "不收费", ["补领结婚证", "结婚证丢了"],
     [ID, HUKOU, ("近期2寸照片", "原件", 3, "补领结婚证须双方合影", False)],
     ["取号", "窗口查档核实", "当场补发"], "《婚姻登记条例》第十七条", "婚姻登记证遗失或损毁的当事人。", "", ""),
]


def demo_entries() -> list[GuideEntry]:
    out = []
    for (code, service, name, name_en, dept, item_code, (stat, prom), fee, keywords, mats, steps, basis,
         conditions, notes, reminder) in DEMO:
        out.append(GuideEntry(
            code=code, service=service, name=name, name_en=name_en, department=dept, item_code=item_code,
            statutory_days=stat, promised_days=prom, fee=fee, keywords=keywords,
            materials=[dict(name=n, form=f, copies=c, note=note, electronic=el) for n, f, c, note, el in mats],
            steps=steps, legal_basis=basis, conditions=conditions, notes=notes, reminder=reminder,
            phone_consult="0551-12345678", phone_supervise="12345", bookable=service in "CDGH",
            faqs=[{"q": "材料不齐可以先取号吗？", "a": "可以取号咨询，但材料不齐无法受理，请按清单备齐后再来。"}],
            sample=True))
    return out


def large_entries() -> list[GuideEntry]:
    sys.path.insert(0, str(Path(__file__).parent))
    from make_large_hall import DEPARTMENTS
    out = []
    for dept, zone, prefix, _, items in DEPARTMENTS:
        for i, item in enumerate(items, 1):
            code = f"{prefix}{i:02d}"
            n = sum(map(ord, item))
            mats = [ID, FORM]
            if n % 3:
                mats.append((f"{item}相关证明材料", "原件及复印件", 1, "以窗口告知为准", False))
            if n % 4 == 0:
                mats.append(("授权委托书及受托人身份证", "原件", 1, "委托他人办理时提供", False))
            out.append(GuideEntry(
                code=code, service=code, name=item, department=dept, item_code=f"3401{n:08d}"[:12],
                statutory_days=20, promised_days=[0, 1, 3, 5, 10][n % 5], fee="不收费",
                materials=[dict(name=a, form=f, copies=c, note=note, electronic=el)
                           for a, f, c, note, el in mats],
                steps=["取号", "窗口受理并审核材料", "办结并领取结果"],
                legal_basis="（示例文本）请以本部门公布的办事指南为准",
                conditions=f"（示例文本）申请办理{item}的个人或单位。",
                phone_consult="0551-12345678", phone_supervise="12345", sample=True))
    return out


def main() -> None:
    root = Path(__file__).resolve().parent.parent / "config" / "halls"
    for name, entries in (("demo", demo_entries()), ("large", large_entries())):
        result = write_guide(entries, root / name / "guide", replace=True)
        print(f"{name}: {len(entries)} items, {len(result['written'])} written")


if __name__ == "__main__":
    main()
