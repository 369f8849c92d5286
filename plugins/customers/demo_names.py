"""Word lists the demo data is built from, in Chinese and English (data only, no logic).

Every bilingual entry is ``(Chinese, English)``; :mod:`plugins.customers.demo`
picks one side by the demo's locale.
"""

from __future__ import annotations

#: city code, weight (its relative share of customers), landline area code, English name
CITIES = [
    ("4403", 14, "0755", "Shenzhen"),  # 深圳
    ("4401", 10, "020", "Guangzhou"),  # 广州
    ("4406", 4, "0757", "Foshan"),  # 佛山
    ("4419", 4, "0769", "Dongguan"),  # 东莞
    ("4404", 2, "0756", "Zhuhai"),  # 珠海
    ("3101", 14, "021", "Shanghai"),  # 上海
    ("3205", 7, "0512", "Suzhou"),  # 苏州
    ("3201", 5, "025", "Nanjing"),  # 南京
    ("3202", 3, "0510", "Wuxi"),  # 无锡
    ("3204", 2, "0519", "Changzhou"),  # 常州
    ("3301", 7, "0571", "Hangzhou"),  # 杭州
    ("3302", 4, "0574", "Ningbo"),  # 宁波
    ("3303", 2, "0577", "Wenzhou"),  # 温州
    ("1101", 9, "010", "Beijing"),  # 北京
    ("1201", 2, "022", "Tianjin"),  # 天津
    ("3701", 2, "0531", "Jinan"),  # 济南
    ("3702", 3, "0532", "Qingdao"),  # 青岛
    ("3401", 2, "0551", "Hefei"),  # 合肥
    ("4101", 2, "0371", "Zhengzhou"),  # 郑州
    ("3501", 2, "0591", "Fuzhou"),  # 福州
    ("3502", 3, "0592", "Xiamen"),  # 厦门
    ("4201", 3, "027", "Wuhan"),  # 武汉
    ("4301", 2, "0731", "Changsha"),  # 长沙
    ("5101", 4, "028", "Chengdu"),  # 成都
    ("5001", 2, "023", "Chongqing"),  # 重庆
]

#: industry code (the seeded dictionary) → weight and trades ``(Chinese, English)``
INDUSTRIES = {
    "manufacturing": (
        30,
        [
            ("精密机械", "Precision Machinery"),
            ("汽车零部件", "Auto Parts"),
            ("模具", "Moulds"),
            ("电子元件", "Electronic Components"),
            ("新材料", "Advanced Materials"),
            ("家电", "Home Appliances"),
            ("包装材料", "Packaging"),
        ],
    ),
    "it": (
        12,
        [
            ("软件", "Software"),
            ("信息技术", "Information Technology"),
            ("数据科技", "Data Technology"),
            ("智能科技", "Smart Technology"),
        ],
    ),
    "internet": (
        8,
        [
            ("网络科技", "Network Technology"),
            ("电子商务", "E-commerce"),
            ("数字传媒", "Digital Media"),
        ],
    ),
    "finance": (
        6,
        [
            ("投资管理", "Investment Management"),
            ("融资租赁", "Financial Leasing"),
            ("保险代理", "Insurance Agency"),
        ],
    ),
    "retail": (
        12,
        [("商贸", "Trading"), ("连锁超市", "Supermarkets"), ("百货", "Department Stores")],
    ),
    "healthcare": (
        8,
        [("医疗器械", "Medical Devices"), ("生物医药", "Biopharma"), ("医药", "Pharmaceuticals")],
    ),
    "education": (4, [("教育科技", "Education Technology"), ("职业培训", "Vocational Training")]),
    "real_estate": (5, [("置业", "Properties"), ("物业管理", "Property Management")]),
    "logistics": (
        10,
        [
            ("物流", "Logistics"),
            ("供应链管理", "Supply Chain Management"),
            ("国际货运代理", "Freight Forwarding"),
        ],
    ),
    "other": (
        5,
        [("文化传媒", "Culture & Media"), ("餐饮管理", "Catering"), ("会展服务", "Exhibitions")],
    ),
}

#: legal forms ``(Chinese, English)`` with weights
LEGAL_FORMS = [
    (("有限公司", "Co., Ltd."), 70),
    (("股份有限公司", "Corporation"), 15),
    (("集团有限公司", "Group Co., Ltd."), 10),
    (("有限责任公司", "LLC"), 5),
]

#: brand words of company names (Chinese); English brands below
BRANDS_ZH = [
    "恒通",
    "华信",
    "瑞丰",
    "宏达",
    "金桥",
    "东方",
    "远航",
    "鼎盛",
    "新元",
    "中科",
    "海纳",
    "天成",
    "博远",
    "精诚",
    "联创",
    "永盛",
    "富康",
    "嘉禾",
    "广源",
    "德润",
    "锦程",
    "明珠",
    "星河",
    "银河",
    "长江",
    "泰和",
    "汇通",
    "盛世",
    "卓越",
    "智达",
    "凯瑞",
    "华兴",
    "安泰",
    "昌盛",
    "同创",
    "众诚",
    "信达",
    "通达",
    "新锐",
    "蓝天",
    "绿洲",
    "金鹰",
    "宝丰",
    "九州",
    "四海",
    "百川",
    "千禧",
    "立信",
    "诚泰",
    "和丰",
    "顺通",
    "达利",
    "晨光",
    "振华",
    "华美",
    "美佳",
    "佳和",
    "和信",
    "信诚",
    "诚达",
    "兴业",
    "业成",
    "成功",
    "力拓",
    "拓维",
    "维康",
    "康泰",
    "泰达",
    "嘉诚",
    "诚信",
    "信邦",
    "邦达",
    "达通",
    "通泰",
    "启航",
    "润泽",
    "泽润",
    "丰源",
    "源通",
]
BRANDS_EN = [
    "Northwind",
    "Bluewater",
    "Evergreen",
    "Summit",
    "Pioneer",
    "Silverline",
    "Redwood",
    "Harbor",
    "Keystone",
    "Brightpath",
    "Goldleaf",
    "Horizon",
    "Lotus",
    "Crescent",
    "Sterling",
    "Meridian",
    "Orchid",
    "Phoenix",
    "Aurora",
    "Cedar",
    "Granite",
    "Maple",
    "Oakridge",
    "Riverstone",
    "Seabright",
    "Skyline",
    "Starling",
    "Sunrise",
    "Tidewater",
    "Trident",
    "Vanguard",
    "Westbrook",
    "Willow",
    "Zenith",
    "Apex",
    "Beacon",
    "Cobalt",
    "Crystal",
    "Eastgate",
    "Falcon",
    "Fairway",
    "Firefly",
    "Golden",
    "Gate",
    "Highland",
    "Ironwood",
    "Jadeite",
    "Kestrel",
    "Lighthouse",
    "Magnolia",
    "Nimbus",
    "Onyx",
    "Pinnacle",
    "Quartz",
    "Rainier",
    "Sapphire",
    "Terra",
    "Unity",
    "Vista",
    "Wildrose",
    "Yellowstone",
    "Amberly",
    "Bayview",
    "Clearwater",
    "Dawnlight",
    "Emerald",
    "Fernhill",
]

#: surnames with weights (the common ones; the polyphonic ones are placed on purpose)
SURNAMES = [
    ("王", 10), ("李", 10), ("张", 9), ("刘", 7), ("陈", 7), ("杨", 5), ("黄", 4), ("赵", 4),
    ("吴", 3), ("周", 3), ("徐", 3), ("孙", 2), ("马", 2), ("朱", 2), ("胡", 2), ("郭", 2),
    ("何", 2), ("高", 2), ("林", 2), ("罗", 2), ("郑", 2), ("梁", 2), ("谢", 1), ("宋", 1),
    ("唐", 1), ("许", 1), ("韩", 1), ("冯", 1), ("邓", 1), ("曹", 1), ("彭", 1), ("曾", 1),
    ("肖", 1), ("田", 1), ("董", 1), ("袁", 1), ("潘", 1), ("蒋", 1), ("蔡", 1), ("余", 1),
]  # fmt: skip
#: surnames read differently from the character's usual reading (single → shan …)
POLYPHONIC_SURNAMES = ["单", "曾", "解", "仇", "朴", "查", "区"]
#: given names with the gender they usually go with
GIVEN_NAMES = [
    ("伟", "male"), ("芳", "female"), ("娜", "female"), ("敏", "female"), ("静", "female"),
    ("强", "male"), ("磊", "male"), ("军", "male"), ("洋", "male"), ("勇", "male"),
    ("艳", "female"), ("杰", "male"), ("涛", "male"), ("明", "male"), ("超", "male"),
    ("秀英", "female"), ("建国", "male"), ("丽娟", "female"), ("志强", "male"),
    ("海涛", "male"), ("婷婷", "female"), ("晓燕", "female"), ("建华", "male"),
    ("文博", "male"), ("雨欣", "female"), ("子涵", "female"), ("浩然", "male"),
    ("思远", "male"), ("佳怡", "female"), ("欣怡", "female"), ("宇航", "male"),
    ("俊杰", "male"), ("丽华", "female"), ("国庆", "male"), ("春梅", "female"),
    ("晓东", "male"), ("玉兰", "female"), ("家麟", "male"), ("良", "male"), ("英", "female"),
]  # fmt: skip
FIRST_NAMES_EN = [
    ("James", "male"), ("Emily", "female"), ("Michael", "male"), ("Sarah", "female"),
    ("David", "male"), ("Laura", "female"), ("Daniel", "male"), ("Olivia", "female"),
    ("Thomas", "male"), ("Grace", "female"), ("Andrew", "male"), ("Chloe", "female"),
    ("Peter", "male"), ("Hannah", "female"), ("Robert", "male"), ("Sophie", "female"),
    ("William", "male"), ("Emma", "female"), ("Henry", "male"), ("Lucy", "female"),
    ("Kevin", "male"), ("Amy", "female"), ("Jason", "male"), ("Vivian", "female"),
]  # fmt: skip
LAST_NAMES_EN = [
    "Smith",
    "Johnson",
    "Brown",
    "Taylor",
    "Wilson",
    "Davies",
    "Evans",
    "Thomas",
    "Roberts",
    "Walker",
    "Wright",
    "Thompson",
    "White",
    "Hughes",
    "Edwards",
    "Green",
    "Hall",
    "Wood",
    "Harris",
    "Clarke",
    "Jackson",
    "Turner",
    "Hill",
    "Moore",
    "Cooper",
    "Ward",
    "Morris",
    "King",
    "Baker",
    "Carter",
    "Mitchell",
    "Parker",
    "Bennett",
    "Collins",
    "Stewart",
    "Murphy",
]

#: a contact's job title, department and preferred channel ``(Chinese, English)`` pairs
ROLES = [
    (("总经理", "General Manager"), ("总经理办公室", "Management"), "visit"),
    (("采购经理", "Purchasing Manager"), ("采购部", "Purchasing"), "wechat"),
    (("财务主管", "Finance Supervisor"), ("财务部", "Finance"), "email"),
    (("技术总监", "Technical Director"), ("技术部", "Engineering"), "phone"),
    (("运营经理", "Operations Manager"), ("运营部", "Operations"), "mobile"),
    (("行政主管", "Office Manager"), ("行政部", "Administration"), "wechat"),
]
MOBILE_PREFIXES = ("138", "139", "136", "137", "150", "151", "158", "186", "189", "177")
STREETS = [
    ("人民路", "Renmin Road"),
    ("中山路", "Zhongshan Road"),
    ("解放路", "Jiefang Road"),
    ("建设路", "Jianshe Road"),
    ("科技园路", "Science Park Road"),
    ("创业大道", "Chuangye Avenue"),
    ("滨江大道", "Riverside Avenue"),
    ("工业园路", "Industrial Park Road"),
]

#: follow-up method, subject, content, result — each text ``(Chinese, English)``
FOLLOW_UPS = [
    (
        "phone",
        ("电话回访", "Follow-up call"),
        ("了解近期采购计划和库存情况。", "Asked about purchasing plans and stock levels."),
        ("下季度有新需求，约定下周发报价。", "New demand next quarter; quote due next week."),
    ),
    (
        "visit",
        ("上门拜访", "On-site visit"),
        ("拜访客户，介绍新一代产品。", "Visited the customer and presented the new range."),
        ("客户对新品感兴趣，需要寄送样品。", "Interested in the new range; samples requested."),
    ),
    (
        "email",
        ("发送报价单", "Quotation sent"),
        ("按客户需求整理报价并邮件发送。", "Prepared and e-mailed a quotation."),
        ("客户已确认收到，正在内部审批。", "Received; going through internal approval."),
    ),
    (
        "wechat",
        ("微信沟通交付进度", "Delivery update on WeChat"),
        ("同步订单发货和到货时间。", "Shared shipping and arrival dates of the order."),
        ("客户满意，无异议。", "Customer satisfied, no issues."),
    ),
    (
        "meeting",
        ("年度合作洽谈", "Annual partnership meeting"),
        ("与客户管理层讨论明年合作框架。", "Discussed next year's framework with management."),
        ("双方同意续签框架协议。", "Both sides agreed to renew the framework agreement."),
    ),
    (
        "phone",
        ("售后回访", "After-sales call"),
        ("了解产品使用情况和问题反馈。", "Checked how the products are used and any issues."),
        ("反馈一处安装问题，已安排技术支持。", "One installation issue; support scheduled."),
    ),
    (
        "visit",
        ("技术交流", "Technical workshop"),
        ("与客户技术部交流方案细节。", "Went through the solution with their engineers."),
        ("需补充测试数据后再评估。", "They need more test data before deciding."),
    ),
    (
        "email",
        ("合同条款确认", "Contract terms"),
        ("邮件确认付款方式和交货条款。", "Confirmed payment and delivery terms by e-mail."),
        ("条款已确认，等待盖章。", "Terms agreed; waiting for the company seal."),
    ),
    (
        "other",
        ("展会接洽", "Met at a trade show"),
        ("在行业展会上与客户交流。", "Talked with the customer at an industry fair."),
        ("留下联系方式，约定后续拜访。", "Exchanged contacts; a visit will follow."),
    ),
]

#: product code, name ``(Chinese, English)``, unit price (CNY)
PRODUCTS = [
    ("GX-S100", ("工业传感器 S100", "Industrial sensor S100"), "1280.00"),
    ("GX-S200", ("高精度传感器 S200", "High-precision sensor S200"), "2360.00"),
    ("GX-C10", ("控制模块 C10", "Control module C10"), "860.00"),
    ("GX-C20", ("控制模块 C20", "Control module C20"), "1450.00"),
    ("GX-M5", ("伺服电机 M5", "Servo motor M5"), "3200.00"),
    ("GX-M8", ("伺服电机 M8", "Servo motor M8"), "4980.00"),
    ("GX-P1", ("触摸屏面板 P1", "Touch panel P1"), "1890.00"),
    ("GX-CB", ("连接线缆套件", "Cable kit"), "120.00"),
    ("GX-SW", ("监控软件年度授权", "Monitoring software, annual licence"), "9800.00"),
    ("GX-SV", ("现场安装调试服务", "On-site installation service"), "3500.00"),
    ("GX-MT", ("年度维保服务", "Annual maintenance"), "12000.00"),
    ("GX-KIT", ("入门套装", "Starter kit"), "6600.00"),
]

#: contract titles ``(Chinese, English)``
CONTRACT_TITLES = [
    ("年度采购框架合同", "Annual purchase framework agreement"),
    ("设备采购合同", "Equipment purchase contract"),
    ("技术服务合同", "Technical service contract"),
]

#: churn texts ``(Chinese, English)``
CHURN_MEASURES = [
    (
        "已安排区域经理上门拜访，提供季度返点方案。",
        "Regional manager visit booked; rebate offered.",
    ),
    ("更换对接销售，重新梳理客户需求。", "New account owner; reviewing the customer's needs."),
]
CHURN_REASONS = [
    ("客户已转向竞争对手，合同到期未续签。", "Moved to a competitor; contract not renewed."),
    ("客户业务调整，不再采购此类产品。", "Business changed; no longer buys these products."),
]
CUSTOMER_NOTES = [
    ("年度采购预算约 200 万元。", "Annual purchasing budget about CNY 2 million."),
    ("决策周期较长，需多部门审批。", "Long decision cycle; several departments sign off."),
    ("对价格敏感，重视售后响应速度。", "Price-sensitive; values fast after-sales service."),
    ("老客户推荐，合作意向强。", "Referred by a long-standing customer; keen to work with us."),
]

#: custom tags: name ``(Chinese, English)``, colour; industry tags by industry code
INDUSTRY_TAGS = {
    "manufacturing": ("行业-制造业", "Industry-Manufacturing"),
    "it": ("行业-信息技术", "Industry-IT"),
    "internet": ("行业-互联网", "Industry-Internet"),
    "finance": ("行业-金融", "Industry-Finance"),
    "retail": ("行业-零售", "Industry-Retail"),
    "healthcare": ("行业-医疗", "Industry-Healthcare"),
    "logistics": ("行业-物流", "Industry-Logistics"),
}
TEAM_TAGS = {"east": ("区域-华东", "Region-East"), "south": ("区域-华南", "Region-South")}
CHANNEL_TAGS = [("渠道-直销", "Channel-Direct"), ("渠道-代理商", "Channel-Reseller")]
